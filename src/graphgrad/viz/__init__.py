"""graphgrad.viz: draw the computation graph (``make_dot``, torchviz's function, plus lifetimes).

Importing this package needs nothing beyond graphgrad; ``make_dot`` needs the ``graphviz`` Python
package (``pip install graphviz``), and rendering images needs the Graphviz ``dot`` program. Without
them, ``graphgrad.autograd.graph.describe(t)`` shows the same graph as text.
"""

from .dot import DotNotFound, make_dot

__all__ = ["DotNotFound", "make_dot"]
