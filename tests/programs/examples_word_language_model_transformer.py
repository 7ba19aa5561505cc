# Modeled on pytorch/examples word_language_model/main.py run as `python main.py --model Transformer`:
# the same program as examples_word_language_model.py with the TransformerModel (nn.Transformer subclass).
import os
import runpy
import sys

sys.argv[1:] = ["--model", "Transformer"]
runpy.run_path(os.path.join(os.path.dirname(os.path.abspath(__file__)), "examples_word_language_model.py"),
               run_name="__main__")
