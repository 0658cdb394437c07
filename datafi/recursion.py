"""Keep the interpreter's recursion limit where a deep recursion cannot crash the process.

py_ecc raises ``sys.setrecursionlimit`` to 100,000 when it is imported, and
py-evm to 12,288. The limit also bounds C recursion (``json.loads``, ``repr``,
pickling), and 100,000 C frames overflow a thread's C stack long before Python
notices: the worker dies with a segmentation fault instead of raising
RecursionError. Each library raises the limit only once, when first
imported: this module imports py_ecc (which eth_account and web3 import
anyway) and puts the limit back; the chain adapter calls
``restore_safe_limit()`` again once it has built the in-process EVM, which
imports py-evm (importing py-evm here would add seconds to every start).

Neither library needs the depth for what we do: py-evm raises it so that a
contract can nest 1,024 message calls (ours nest two), and py_ecc for
recursive curve arithmetic in precompiles our contracts never call. The
in-process EVM test suites run under this limit.
"""

import sys

# CPython's own default: deep enough for Django, DRF and the EVM calls we make,
# shallow enough that C recursion up to it fits any thread's stack.
SAFE_RECURSION_LIMIT = 1000


def restore_safe_limit() -> int:
    """Set the recursion limit back to the safe value; return what it was."""
    before = sys.getrecursionlimit()
    if before > SAFE_RECURSION_LIMIT:
        sys.setrecursionlimit(SAFE_RECURSION_LIMIT)
    return before


import py_ecc  # noqa: E402, F401

restore_safe_limit()
