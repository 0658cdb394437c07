from django.db import transaction


def in_transaction() -> bool:
    """True inside an atomic block other than a test case's wrapper (as durable=True judges)."""
    blocks = transaction.get_connection().atomic_blocks
    return any(not getattr(block, "_from_testcase", False) for block in blocks)
