"""``graphgrad.backends.cpu``: the CPU capability PyTorch reports; NumPy's plain code path here."""


def get_cpu_capability():
    return "DEFAULT"
