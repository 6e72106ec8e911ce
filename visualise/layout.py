"""Node positions computed in Python, for graphs too large for the browser's physics.

:func:`fast_layout` runs in roughly linear time: a pivot multidimensional
scaling (Brandes & Pich, 2006) gives the global shape from a few breadth-first
searches, then a few dozen force iterations refine it. The repulsion of every
node on every other is approximated on a grid with a fast Fourier transform, and
only nodes closer than the target spacing repel each other exactly, so no step
is quadratic. 20,000 nodes take about a second.
"""

from __future__ import annotations

from collections.abc import Hashable, Sequence

import numpy as np
import scipy.sparse as sp
from scipy.sparse.csgraph import connected_components, shortest_path
from scipy.spatial import cKDTree

__all__ = ["edge_index", "fast_layout"]

_GRID = 64
_SMALL_PIECE = 20


def edge_index(nodes: Sequence[Hashable], edges) -> tuple[np.ndarray, np.ndarray]:
    """The (source, target) positions in ``nodes`` of each edge ``(u, v, ...)``, loops left out.

    Examples
    --------
    >>> u, v = edge_index(["a", "b", "c"], [("a", "b"), ("c", "c"), ("c", "a")])
    >>> u.tolist(), v.tolist()
    ([0, 2], [1, 0])
    """
    position = {node: i for i, node in enumerate(nodes)}
    pairs = [(position[e[0]], position[e[1]]) for e in edges if e[0] != e[1]]
    if not pairs:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    array = np.asarray(pairs, dtype=np.int64)
    return array[:, 0], array[:, 1]


def _pivot_mds(n: int, u: np.ndarray, v: np.ndarray, pivots: int, rng: np.random.Generator) -> np.ndarray:
    adjacency = sp.coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n)).tocsr()
    # symmetric, so searched as directed: scipy would otherwise convert it again for every pivot
    adjacency = (adjacency + adjacency.T).tocsr()
    degrees = np.diff(adjacency.indptr)
    chosen = [int(np.argmax(degrees))]
    rows = []
    nearest = np.full(n, np.inf)
    for _ in range(min(pivots, n)):
        distances = shortest_path(adjacency, unweighted=True, indices=[chosen[-1]], directed=True)[0]
        rows.append(distances)
        nearest = np.minimum(nearest, distances)
        # farthest from every pivot so far; nodes no pivot reaches yet come first
        chosen.append(int(np.argmax(np.where(np.isinf(nearest), np.inf, nearest + rng.random(n) * 1e-3))))
    matrix = np.array(rows)
    finite = np.isfinite(matrix)
    matrix[~finite] = (matrix[finite].max() if finite.any() else 0) + 2
    squared = (matrix**2).T
    centred = -0.5 * (squared - squared.mean(0) - squared.mean(1)[:, None] + squared.mean())
    # the top singular directions of the n x k matrix, from its small k x k Gram matrix
    _values, vectors = np.linalg.eigh(centred.T @ centred)
    coords = centred @ vectors[:, ::-1][:, :2]
    if coords.shape[1] < 2:
        coords = np.hstack([coords, np.zeros((n, 2 - coords.shape[1]))])
    return coords


def _grid_kernels(size: int) -> tuple[np.ndarray, np.ndarray, int]:
    """Fourier transforms of the two components of the 1/r repulsion kernel, padded
    for a linear (not circular) convolution of a ``size`` x ``size`` density grid."""
    offsets = np.arange(-size + 1, size)
    dx, dy = np.meshgrid(offsets, offsets, indexing="ij")
    squared = (dx**2 + dy**2).astype(float)
    squared[size - 1, size - 1] = 1.0
    padded = 1 << int(np.ceil(np.log2(3 * size - 2)))
    return np.fft.rfft2(dx / squared, s=(padded, padded)), np.fft.rfft2(dy / squared, s=(padded, padded)), padded


def _convolve(density: np.ndarray, kernel: np.ndarray, padded: int) -> np.ndarray:
    size = density.shape[0]
    full = np.fft.irfft2(np.fft.rfft2(density, s=(padded, padded)) * kernel, s=(padded, padded))
    return full[size - 1 : 2 * size - 1, size - 1 : 2 * size - 1]


def _add_pair_forces(
    displacement: np.ndarray, first: np.ndarray, second: np.ndarray, force_x: np.ndarray, force_y: np.ndarray
) -> None:
    n = len(displacement)
    for axis, force in ((0, force_x), (1, force_y)):
        displacement[:, axis] += np.bincount(first, force, n) - np.bincount(second, force, n)


def fast_layout(n: int, u: np.ndarray, v: np.ndarray, seed: int = 0, iterations: int = 40) -> np.ndarray:
    """Positions ``(n, 2)`` for a graph of ``n`` nodes and edges ``u[i] -- v[i]``.

    Nodes end up about one unit apart; edges pull their ends together. Each
    connected piece is laid out on its own (pieces under 20 nodes on a small
    circle) and the pieces are packed in rows, largest first, so isolated nodes
    do not stretch the picture. The result depends only on the graph and ``seed``.

    Parameters
    ----------
    n : int
        Number of nodes, numbered 0 to n - 1.
    u, v : numpy integer arrays
        Ends of each edge (direction and repetition do not matter).
    seed : int
        Seed for the small random jitter that separates identical positions.
    iterations : int
        Number of force iterations after the initial scaling.

    Examples
    --------
    >>> import numpy as np
    >>> path = fast_layout(4, np.array([0, 1, 2]), np.array([1, 2, 3]))
    >>> path.shape
    (4, 2)
    >>> ends = np.linalg.norm(path[0] - path[3])
    >>> bool(ends > np.linalg.norm(path[0] - path[1]))
    True
    """
    rng = np.random.default_rng(seed)
    positions = np.zeros((n, 2))
    if n == 0:
        return positions
    adjacency = sp.coo_matrix((np.ones(len(u)), (u, v)), shape=(n, n)).tocsr()
    count, labels = connected_components(adjacency, directed=False)
    members = np.argsort(labels, kind="stable")
    bounds = np.searchsorted(labels[members], np.arange(count + 1))
    pieces = sorted(
        (members[bounds[i] : bounds[i + 1]] for i in range(count)), key=lambda nodes: (-len(nodes), int(nodes[0]))
    )
    local = np.full(n, -1, dtype=np.int64)
    edge_piece = labels[u] if len(u) else np.zeros(0, dtype=np.int64)
    boxes = []
    for nodes in pieces:
        size = len(nodes)
        if size >= _SMALL_PIECE:
            local[nodes] = np.arange(size)
            inside = edge_piece == labels[nodes[0]]
            placed = _force_layout(size, local[u[inside]], local[v[inside]], rng, iterations)
        elif size == 1:
            placed = np.zeros((1, 2))
        else:
            angles = 2 * np.pi * np.arange(size) / size
            placed = 0.35 * np.sqrt(size) * np.stack([np.cos(angles), np.sin(angles)], axis=1)
        placed = placed - placed.min(0)
        boxes.append((nodes, placed, placed.max(0) + 1.0))
    # shelf packing: rows as wide as the largest piece (or the square root of the total area)
    width = max(float(boxes[0][2][0]), float(np.sqrt(sum(float(b[2][0] * b[2][1]) for b in boxes))))
    x = y = row_height = 0.0
    for nodes, placed, (box_width, box_height) in boxes:
        if x > 0 and x + box_width > width:
            x, y, row_height = 0.0, y + row_height, 0.0
        positions[nodes] = placed + (x, y)
        x += box_width
        row_height = max(row_height, float(box_height))
    return positions - positions.mean(0)


def _force_layout(n: int, u: np.ndarray, v: np.ndarray, rng: np.random.Generator, iterations: int) -> np.ndarray:
    """One connected piece: pivot MDS, then force iterations."""
    side = 2.0 * np.sqrt(n)
    positions = _pivot_mds(n, u, v, pivots=30, rng=rng) if len(u) else rng.random((n, 2))
    extent = float((positions.max(0) - positions.min(0)).max()) or 1.0
    positions = (positions - positions.mean(0)) / extent * side + rng.normal(scale=0.3, size=(n, 2))

    kernel_x, kernel_y, padded = _grid_kernels(_GRID)
    temperature = side / 10
    for _ in range(iterations):
        low = positions.min(0)
        cell = float((positions.max(0) - low).max()) * 1.0001 / (_GRID - 1) + 1e-9
        # cloud-in-cell: each node spreads over the four nearest cells, and reads
        # the field back the same way, so the grid leaves no pattern on the layout
        scaled = (positions - low) / cell
        base = np.minimum(np.floor(scaled).astype(np.int64), _GRID - 2)
        fraction = scaled - base
        corners = [(0, 0), (1, 0), (0, 1), (1, 1)]
        weights = [
            (fraction[:, 0] if dx else 1 - fraction[:, 0]) * (fraction[:, 1] if dy else 1 - fraction[:, 1])
            for dx, dy in corners
        ]
        flat = [(base[:, 0] + dx) * _GRID + base[:, 1] + dy for dx, dy in corners]
        density = sum(np.bincount(index, weight, _GRID * _GRID) for index, weight in zip(flat, weights)).reshape(
            _GRID, _GRID
        )
        field_x = _convolve(density, kernel_x, padded).ravel()
        field_y = _convolve(density, kernel_y, padded).ravel()
        displacement = (
            np.stack(
                [
                    sum(field_x[index] * weight for index, weight in zip(flat, weights)),
                    sum(field_y[index] * weight for index, weight in zip(flat, weights)),
                ],
                axis=1,
            )
            / cell
        )

        # an unbalanced tree builds faster and answers the same pairs
        # the pairs and edges below are many: coordinates as contiguous 1-d arrays gather faster
        x, y = positions[:, 0].copy(), positions[:, 1].copy()
        close = cKDTree(positions, balanced_tree=False, compact_nodes=False).query_pairs(0.8, output_type="ndarray")
        if len(close):
            first, second = close[:, 0].copy(), close[:, 1].copy()
            dx, dy = x[first] - x[second], y[first] - y[second]
            squared = np.maximum(dx * dx + dy * dy, 1e-4)
            _add_pair_forces(displacement, first, second, dx / squared, dy / squared)
        if len(u):
            dx, dy = x[v] - x[u], y[v] - y[u]
            length = np.hypot(dx, dy)
            _add_pair_forces(displacement, u, v, dx * length, dy * length)
        displacement -= 0.02 * (positions - positions.mean(0))

        length = np.maximum(np.hypot(displacement[:, 0], displacement[:, 1]), 1e-9)
        positions += displacement * (np.minimum(length, temperature) / length)[:, None]
        temperature = max(temperature * 0.92, 0.05)
    return positions - positions.mean(0)
