"""Batches of writes (the contract's `write-batch`) for Junction connectors in Python.

`write_batch(config, ops)` returns one result per op, in the order of `ops`: each is
`componentize_py_types.Ok(outcome)` or `componentize_py_types.Err(error)`; the call as a
whole still returns the list or raises one `Err`.

The default for systems without batch endpoints:

    def write_batch(self, config: str, ops: List[t.WriteOp]) -> List[Result[t.WriteOutcome, t.ConnectorError]]:
        return batch.write_each(ops, lambda op: self.write(config, op))
"""

from __future__ import annotations

from typing import Callable, List, Optional, Sequence

from componentize_py_types import Err, Ok, Result
from wit_world.imports import junction_connector_types as t

from . import errors

_STOPS_WHOLE_BATCH = (t.ConnectorError_InvalidConfig, t.ConnectorError_Unauthorized)
"""Errors on the first op that mean no op can be attempted: the whole call fails with them."""


def write_each(
    ops: Sequence[t.WriteOp], write: Callable[[t.WriteOp], t.WriteOutcome]
) -> List[Result[t.WriteOutcome, t.ConnectorError]]:
    """Performs `ops` one by one with `write` (which returns an outcome or raises a contract
    error), in order.

    - One op failing does not stop the others: its slot holds its error.
    - After a `rate-limited` error the remaining ops are not sent; each gets that same error.
    - When the first op fails with `invalid-config` or `unauthorized`, nothing else is
      attempted and that error is raised (the whole call fails).
    """
    results: List[Result[t.WriteOutcome, t.ConnectorError]] = []
    halted: Optional[t.ConnectorError] = None
    for index, op in enumerate(ops):
        if halted is not None:
            results.append(Err(halted))
            continue
        try:
            results.append(Ok(write(op)))
        except Exception as e:  # noqa: BLE001 - every failure is that op's contract error
            error = errors.as_connector_error(e).value
            if index == 0 and isinstance(error, _STOPS_WHOLE_BATCH):
                raise Err(error)
            if isinstance(error, t.ConnectorError_RateLimited):
                halted = error
            results.append(Err(error))
    return results
