# Modeled on karpathy/makemore makemore.py run as `python makemore.py --type gru`: the program of makemore.py with
# its RNN model over the GRUCell.
import os
import runpy
import sys

sys.argv[1:] = ["--type", "gru"]
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "makemore.py"), run_name="__main__")
