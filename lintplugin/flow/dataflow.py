"""A forward dataflow solver over a CFG, to a fixpoint.

States are tuples of ints used as bitsets (one slot per tracked thing), so
joining is a slot-wise OR and states only grow: the worklist terminates,
and each node is revisited only when its input grew. Cost is linear in the
graph for straight-line and branching code, with a small factor for loops;
never exponential in the number of paths.
"""

from __future__ import annotations

import heapq
from typing import Callable, Dict, List, Optional, Sequence, Tuple

from lintplugin.flow.cfg import CFG, AnalysisLimit

State = Tuple[int, ...]
# transfer(node_index, in_state) -> {edge_kind: out_state}; kinds absent
# from the mapping carry nothing (the edge is not taken for any slot).
Transfer = Callable[[int, State], Dict[int, State]]
# edge_filter(source, target, kind, state) -> state: per-target adjustments
EdgeFilter = Optional[Callable[[int, int, int, State], State]]

MAX_VISITS_PER_NODE = 64


class WorkCount:
    """How much work the solver did, summed over every solve in the process.

    Tests prove linear cost with it (transfer calls per CFG node stay flat as
    functions grow) instead of timing anything: counts do not depend on how
    busy the machine is.
    """

    def __init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.solves = 0
        self.nodes = 0  # CFG nodes of the graphs solved
        self.transfers = 0  # transfer-function calls (node visits)


WORK = WorkCount()


def set_bits(bits: int):
    """Indices of the set bits of `bits`, lowest first."""
    while bits:
        low = bits & -bits
        bits ^= low
        yield low.bit_length() - 1


class BitTable:
    """Gives each distinct value a bit of its own, so that sets of values are
    ints: union is `|`, and a state slot holds a whole set."""

    def __init__(self) -> None:
        self.values: List = []
        self._index: Dict = {}

    def bit(self, value) -> int:
        index = self._index.get(value)
        if index is None:
            index = self._index[value] = len(self.values)
            self.values.append(value)
        return 1 << index

    def each(self, bits: int):
        return (self.values[index] for index in set_bits(bits))


def join(a: State, b: State) -> State:
    return tuple(x | y for x, y in zip(a, b))


def solve(
    cfg: CFG, width: int, initial: State, transfer: Transfer, edge_filter: EdgeFilter = None
) -> List[Optional[State]]:
    """In-states of every node (None: unreachable for every slot)."""
    order = _reverse_postorder(cfg)
    rank = {index: position for position, index in enumerate(order)}
    states: List[Optional[State]] = [None] * len(cfg.nodes)
    states[cfg.entry] = initial
    pending = {cfg.entry}
    budget = MAX_VISITS_PER_NODE * max(len(cfg.nodes), 1)
    WORK.solves += 1
    WORK.nodes += len(cfg.nodes)
    heap = [(rank.get(cfg.entry, 0), cfg.entry)]
    while heap:
        _, index = heapq.heappop(heap)
        if index not in pending:
            continue
        pending.discard(index)
        budget -= 1
        if budget < 0:
            raise AnalysisLimit("the dataflow did not settle")
        WORK.transfers += 1
        outputs = transfer(index, states[index])
        for target, kind in cfg.nodes[index].succ:
            out = outputs.get(kind)
            if out is None:
                continue
            if edge_filter is not None:
                out = edge_filter(index, target, kind, out)
            if not any(out):
                continue
            current = states[target]
            merged = out if current is None else join(current, out)
            if merged != current:
                states[target] = merged
                if target not in pending:
                    pending.add(target)
                    heapq.heappush(heap, (rank.get(target, len(order)), target))
    return states


def _reverse_postorder(cfg: CFG) -> Sequence[int]:
    seen = [False] * len(cfg.nodes)
    postorder: List[int] = []
    stack = [(cfg.entry, 0)]
    seen[cfg.entry] = True
    while stack:
        index, child = stack[-1]
        successors = cfg.nodes[index].succ
        if child < len(successors):
            stack[-1] = (index, child + 1)
            target = successors[child][0]
            if not seen[target]:
                seen[target] = True
                stack.append((target, 0))
        else:
            stack.pop()
            postorder.append(index)
    postorder.reverse()
    return postorder


def reachable(cfg: CFG, starts, kinds, backward: bool = False, blocked=frozenset()) -> List[bool]:
    """Nodes reachable from `starts` along edges of the given kinds (against
    the edges when `backward`), never passing through a `blocked` node."""
    seen = [False] * len(cfg.nodes)
    todo = list(starts)
    for index in todo:
        seen[index] = True
    while todo:
        index = todo.pop()
        node = cfg.nodes[index]
        for other, kind in (node.pred if backward else node.succ):
            if kind in kinds and not seen[other] and other not in blocked:
                seen[other] = True
                todo.append(other)
    return seen


def reaching_back(cfg: CFG, goals, kinds, blocked=frozenset()) -> List[bool]:
    """Nodes from which some node in `goals` is reachable along `kinds` edges
    without passing through a `blocked` node."""
    return reachable(cfg, goals, kinds, backward=True, blocked=blocked)
