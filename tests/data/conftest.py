"""Files tests read, never tests themselves: the copy of the 0.1 example plugin holds
its own tests, which tests/test_api_stability.py runs in a process of their own."""

collect_ignore_glob = ["*"]
