"""``graphgrad.onnx``: importable, as in PyTorch; exporting needs the ``onnxscript`` package and PyTorch's
exporter, neither of which graphgrad has, so ``export`` raises what PyTorch raises without onnxscript."""


def export(model, args=(), f=None, *a, **kw):
    raise ModuleNotFoundError("No module named 'onnxscript'\n"
                              "graphgrad cannot export ONNX graphs: export the model with PyTorch instead.",
                              name="onnxscript")


def is_in_onnx_export():
    return False
