"""One libcst traversal that records, per scope, what every rule needs.

A scope is the module body or one function. For each it keeps the name
bindings (to resolve import spellings, aliases and constants) and the calls
made directly in it (nested functions are scopes of their own, analysed on
their own). Rules read these facts; none of them walks the tree again.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from typing import Dict, List, NamedTuple, Optional, Union

import libcst as cst

from lintplugin.syntax.walk import all_parameters, dotted_name, syntax_children


class BindingKind(enum.Enum):
    IMPORT = "import"  # `qualified` holds the dotted name it stands for
    VALUE = "value"  # `value` is the assigned expression (`index`: element of an unpacked tuple)
    OTHER = "other"  # a parameter, loop target, augmented assignment...: not known


@dataclass(frozen=True)
class Binding:
    """One way a name gets a value in a scope."""

    kind: BindingKind
    qualified: Optional[str] = None
    value: Optional[cst.BaseExpression] = None
    index: Optional[int] = None


class Store(NamedTuple):
    """An assignment to an attribute chain."""

    target: str  # "self.sock"
    value: Optional[cst.BaseExpression]  # None when unpacked from a tuple
    node: cst.BaseExpression  # the target expression


@dataclass(eq=False)
class Scope:
    node: Union[cst.Module, cst.FunctionDef, cst.ClassDef]
    parent: Optional["Scope"]
    is_class: bool = False
    bindings: Dict[str, List[Binding]] = field(default_factory=dict)
    star_imports: List[str] = field(default_factory=list)
    calls: List[cst.Call] = field(default_factory=list)
    declared_global: set = field(default_factory=set)
    declared_nonlocal: set = field(default_factory=set)  # names that belong to an enclosing function
    stores: List["Store"] = field(default_factory=list)  # `self.x = value`, `self.r, self.w = pair()`

    @property
    def name(self) -> str:
        if isinstance(self.node, cst.Module):
            return "<module>"
        return self.node.name.value

    def bind(self, name: str, binding: Binding) -> None:
        self.bindings.setdefault(name, []).append(binding)

    def lookup_scopes(self):
        """This scope, then the enclosing function scopes and the module.

        Class bodies are skipped as Python skips them when a method looks a
        name up.
        """
        scope: Optional[Scope] = self
        first = True
        while scope is not None:
            if first or not scope.is_class:
                yield scope
            first = False
            scope = scope.parent


class ScopeCollector:
    """Builds the scope facts of a module in a single walk.

    An iterative walk over the code-holding fields of each node (see
    `syntax_children`) with a handler per node type: several times cheaper
    than libcst's visitor, which rebuilds every node it passes, and free of
    recursion limits on deeply nested code.
    """

    def __init__(self) -> None:
        self.module_scope: Optional[Scope] = None
        self.scopes: List[Scope] = []
        self._stack: List[Scope] = []
        self._handlers = {}
        for name in dir(self):
            if name.startswith("visit_"):
                node_type = getattr(cst, name[len("visit_"):], None)
                if isinstance(node_type, type):
                    self._handlers[node_type] = getattr(self, name)

    def walk(self, module: cst.Module) -> None:
        _LEAVE = object()
        handlers = self._handlers
        stack: List[object] = [module]
        while stack:
            node = stack.pop()
            if node is _LEAVE:
                self._stack.pop()
                continue
            handler = handlers.get(type(node))
            if handler is not None:
                if handler(node) is False:
                    continue
                if isinstance(node, (cst.Module, cst.FunctionDef, cst.ClassDef)):
                    stack.append(_LEAVE)
            stack.extend(reversed(syntax_children(node)))

    # -- scopes ---------------------------------------------------------

    @property
    def current(self) -> Scope:
        return self._stack[-1]

    def _push(self, scope: Scope) -> None:
        self._stack.append(scope)
        self.scopes.append(scope)

    def visit_Module(self, node: cst.Module) -> None:
        self.module_scope = Scope(node=node, parent=None)
        self._push(self.module_scope)

    def visit_FunctionDef(self, node: cst.FunctionDef) -> None:
        self.current.bind(node.name.value, Binding(BindingKind.OTHER))
        scope = Scope(node=node, parent=self.current)
        self._push(scope)
        for param in all_parameters(node.params):
            scope.bind(param.name.value, Binding(BindingKind.OTHER))

    def visit_ClassDef(self, node: cst.ClassDef) -> None:
        self.current.bind(node.name.value, Binding(BindingKind.OTHER))
        self._push(Scope(node=node, parent=self.current, is_class=True))

    def visit_Lambda(self, node: cst.Lambda) -> bool:
        # A lambda's body is one expression: no bindings that outlive it and
        # nothing the socket rules judge, so its inside is not visited.
        return False

    # -- bindings -------------------------------------------------------

    def visit_Import(self, node: cst.Import) -> None:
        for alias in node.names:
            full = dotted_name(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                self.current.bind(alias.asname.name.value, Binding(BindingKind.IMPORT, qualified=full))
            else:
                head = full.split(".", 1)[0]
                self.current.bind(head, Binding(BindingKind.IMPORT, qualified=head))

    def visit_ImportFrom(self, node: cst.ImportFrom) -> None:
        if node.relative or node.module is None:
            module = None
        else:
            module = dotted_name(node.module)
        if isinstance(node.names, cst.ImportStar):
            if module is not None:
                self.current.star_imports.append(module)
            return
        for alias in node.names:
            if not isinstance(alias.name, cst.Name):
                continue
            local = alias.name.value
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            if module is None:
                self.current.bind(local, Binding(BindingKind.OTHER))
            else:
                self.current.bind(local, Binding(BindingKind.IMPORT, qualified=f"{module}.{alias.name.value}"))

    def visit_Assign(self, node: cst.Assign) -> None:
        for target in node.targets:
            self._bind_target(target.target, node.value)

    def visit_AnnAssign(self, node: cst.AnnAssign) -> None:
        if node.value is not None:
            self._bind_target(node.target, node.value)

    def visit_AugAssign(self, node: cst.AugAssign) -> None:
        self._bind_unknown(node.target)

    def visit_NamedExpr(self, node: cst.NamedExpr) -> None:
        self._bind_target(node.target, node.value)

    def visit_For(self, node: cst.For) -> None:
        self._bind_unknown(node.target)

    def visit_CompFor(self, node: cst.CompFor) -> None:
        # Comprehension variables are local to the comprehension; binding
        # them as unknown here only makes resolution more cautious.
        self._bind_unknown(node.target)

    def visit_WithItem(self, node: cst.WithItem) -> None:
        if node.asname is not None:
            self._bind_unknown(node.asname.name)

    def visit_ExceptHandler(self, node: cst.ExceptHandler) -> None:
        if node.name is not None:
            self._bind_unknown(node.name.name)

    def visit_ExceptStarHandler(self, node: cst.ExceptStarHandler) -> None:
        if node.name is not None:
            self._bind_unknown(node.name.name)

    def visit_Del(self, node: cst.Del) -> None:
        self._bind_unknown(node.target)

    def visit_Global(self, node: cst.Global) -> None:
        self.current.declared_global.update(item.name.value for item in node.names)

    def visit_Nonlocal(self, node: cst.Nonlocal) -> None:
        # The name belongs to an enclosing function; an unknown binding
        # here keeps us from trusting a single assignment we can see.
        for item in node.names:
            self.current.bind(item.name.value, Binding(BindingKind.OTHER))
            self.current.declared_nonlocal.add(item.name.value)

    def visit_Call(self, node: cst.Call) -> None:
        self.current.calls.append(node)

    def _bind_target(self, target: cst.BaseExpression, value: cst.BaseExpression) -> None:
        if isinstance(target, cst.Name):
            self._scope_for(target.value).bind(target.value, Binding(BindingKind.VALUE, value=value))
        elif isinstance(target, cst.Attribute):
            dotted = dotted_name(target)
            if dotted is not None:
                self.current.stores.append(Store(dotted, value, target))
        elif isinstance(target, (cst.Tuple, cst.List)):
            elements = target.elements
            starred = any(isinstance(el, cst.StarredElement) for el in elements)
            for index, element in enumerate(elements):
                inner = element.value
                if isinstance(inner, cst.Attribute):
                    dotted = dotted_name(inner)
                    if dotted is not None:
                        self.current.stores.append(Store(dotted, None, inner))  # `self.r, self.w = socketpair()`
                elif starred or not isinstance(inner, cst.Name):
                    self._bind_unknown(inner)
                else:
                    scope = self._scope_for(inner.value)
                    scope.bind(inner.value, Binding(BindingKind.VALUE, value=value, index=index))
        # attributes and subscripts bind no names

    def _bind_unknown(self, target: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            self._scope_for(target.value).bind(target.value, Binding(BindingKind.OTHER))
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                self._bind_unknown(element.value)
        elif isinstance(target, cst.StarredElement):
            self._bind_unknown(target.value)

    def _scope_for(self, name: str) -> Scope:
        if name in self.current.declared_global and self.module_scope is not None:
            return self.module_scope
        return self.current


def collect_scopes(module: cst.Module) -> List[Scope]:
    collector = ScopeCollector()
    collector.walk(module)
    return collector.scopes
