"""PyTorch's CPU ``topk`` order where equal values compete: the C++ standard library's selection, step by step.

PyTorch's ``topk`` on the CPU (which ``multinomial`` without replacement calls) puts ``(value, index)`` pairs
in a vector and runs ``std::partial_sort`` (when ``64 * k <= n``) or ``std::nth_element`` followed by
``std::sort`` of the first ``k - 1``, comparing values only. Where the k largest values are distinct and
apart from the rest, any correct sort gives the same answer; where they tie, the indices come out in the order
these algorithms happen to leave equal elements, which is neither stable nor documented. ``topk_order``
repeats the GNU C++ library's (libstdc++, which PyTorch's Linux wheels use) introselect, introsort, insertion
sort and heap operations on the keys, so ties come out as PyTorch's do. It runs in Python, element by element:
callers use it only for the rows whose ties decide the result.

>>> topk_order([0.0, -1.0, 0.0, 0.0, -1.0], 3)  # keys ascending first: the two -1s, then one of the 0s
[1, 4, 2]
"""

from __future__ import annotations

_INSERTION_THRESHOLD = 16  # libstdc++'s _S_threshold


def topk_order(keys, k):
    """The positions of the ``k`` smallest ``keys`` in the order libstdc++ leaves them, as PyTorch's topk
    runs it (``keys`` ascending is the order wanted: pass ``-value`` for the largest values)."""
    return _Selection(keys).topk(k)


class _Selection:
    """libstdc++'s algorithms over ``order`` (positions into ``keys``), with ``comp(a, b) = keys[a] < keys[b]``."""

    def __init__(self, keys):
        self.keys = list(keys)
        self.order = list(range(len(self.keys)))

    def less(self, a, b):
        return self.keys[a] < self.keys[b]

    def topk(self, k):
        n = len(self.order)
        if k <= 0:
            return []
        if k * 64 <= n:  # std::partial_sort
            self.heap_select(0, k, n)
            self.sort_heap(0, k)
        else:  # std::nth_element, then std::sort of the first k - 1
            self.nth_element(0, k - 1, n)
            self.sort(0, k - 1)
        return self.order[:k]

    # --- std::sort: introsort, then a final insertion sort -------------------------------------------
    def sort(self, first, last):
        if last - first < 2:
            return
        self.introsort_loop(first, last, 2 * ((last - first).bit_length() - 1))
        if last - first > _INSERTION_THRESHOLD:
            self.insertion_sort(first, first + _INSERTION_THRESHOLD)
            for i in range(first + _INSERTION_THRESHOLD, last):
                self.unguarded_linear_insert(i)
        else:
            self.insertion_sort(first, last)

    def introsort_loop(self, first, last, depth):
        while last - first > _INSERTION_THRESHOLD:
            if depth == 0:  # too deep: heap sort the rest
                self.heap_select(first, last, last)
                self.sort_heap(first, last)
                return
            depth -= 1
            cut = self.partition_pivot(first, last)
            self.introsort_loop(cut, last, depth)
            last = cut

    # --- std::nth_element: introselect ----------------------------------------------------------------
    def nth_element(self, first, nth, last):
        if first == last or nth == last:
            return
        depth = 2 * ((last - first).bit_length() - 1)
        while last - first > 3:
            if depth == 0:
                self.heap_select(first, nth + 1, last)
                self.swap(first, nth)
                return
            depth -= 1
            cut = self.partition_pivot(first, last)
            if cut <= nth:
                first = cut
            else:
                last = cut
        self.insertion_sort(first, last)

    # --- partitioning around the median of three ------------------------------------------------------
    def swap(self, i, j):
        o = self.order
        o[i], o[j] = o[j], o[i]

    def partition_pivot(self, first, last):
        self.move_median_to_first(first, first + 1, first + (last - first) // 2, last - 1)
        return self.unguarded_partition(first + 1, last, self.order[first])

    def move_median_to_first(self, result, a, b, c):
        o, less = self.order, self.less
        if less(o[a], o[b]):
            median = b if less(o[b], o[c]) else c if less(o[a], o[c]) else a
        else:
            median = a if less(o[a], o[c]) else c if less(o[b], o[c]) else b
        self.swap(result, median)

    def unguarded_partition(self, first, last, pivot):
        o, less = self.order, self.less
        while True:
            while less(o[first], pivot):
                first += 1
            last -= 1
            while less(pivot, o[last]):
                last -= 1
            if first >= last:
                return first
            self.swap(first, last)
            first += 1

    # --- insertion sort -------------------------------------------------------------------------------
    def insertion_sort(self, first, last):
        o = self.order
        for i in range(first + 1, last):
            if self.less(o[i], o[first]):
                o[first:i + 1] = [o[i]] + o[first:i]
            else:
                self.unguarded_linear_insert(i)

    def unguarded_linear_insert(self, last):
        o = self.order
        value = o[last]
        while self.less(value, o[last - 1]):
            o[last] = o[last - 1]
            last -= 1
        o[last] = value

    # --- heaps (a max-heap under ``less``) --------------------------------------------------------------
    def heap_select(self, first, middle, last):
        self.make_heap(first, middle)
        for i in range(middle, last):
            if self.less(self.order[i], self.order[first]):
                self.pop_heap(first, middle, i)

    def sort_heap(self, first, last):
        while last - first > 1:
            last -= 1
            self.pop_heap(first, last, last)

    def make_heap(self, first, last):
        length = last - first
        if length < 2:
            return
        for parent in range((length - 2) // 2, -1, -1):
            self.adjust_heap(first, parent, length, self.order[first + parent])

    def pop_heap(self, first, last, result):
        value = self.order[result]
        self.order[result] = self.order[first]
        self.adjust_heap(first, 0, last - first, value)

    def adjust_heap(self, first, hole, length, value):
        o, less = self.order, self.less
        top = child = hole
        while child < (length - 1) // 2:  # move the hole down to a leaf, along the larger children
            child = 2 * (child + 1)
            if less(o[first + child], o[first + child - 1]):
                child -= 1
            o[first + hole] = o[first + child]
            hole = child
        if length % 2 == 0 and child == (length - 2) // 2:
            child = 2 * (child + 1)
            o[first + hole] = o[first + child - 1]
            hole = child - 1
        parent = (hole - 1) // 2  # then push the value back up (std::__push_heap)
        while hole > top and less(o[first + parent], value):
            o[first + hole] = o[first + parent]
            hole = parent
            parent = (hole - 1) // 2
        o[first + hole] = value
