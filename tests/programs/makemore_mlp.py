# Modeled on karpathy/makemore makemore.py run as `python makemore.py --type mlp`: the program of makemore.py with
# its MLP language model (torch.roll over the context).
import os
import runpy
import sys

sys.argv[1:] = ["--type", "mlp"]
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "makemore.py"), run_name="__main__")
