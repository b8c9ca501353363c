"""The `lintplugin` subcommands that check trees (baseline, audit)."""
