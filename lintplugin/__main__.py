import sys

from lintplugin.cli import main

sys.exit(main())
