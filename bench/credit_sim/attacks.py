"""placeholder"""


def run_attacks() -> dict:
    return {}
