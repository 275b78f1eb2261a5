"""An allocator over growing linear memory: size classes with free lists, a bump pointer behind them.

Blocks are 64-byte aligned. Requests are rounded up to a size class (64 B steps up to 512 B, 512 B
steps up to 4 KiB, powers of two up to 1 MiB, then 64 KiB steps); a freed block goes on its class's
free list and is reused before the bump pointer moves. When the bump pointer cannot move, free blocks
ending at it are given back to it first (free a big array, allocate a bigger one). Exceeding the 4 GiB
of memory32 raises MemoryError with the numbers, never a crash.
"""

from __future__ import annotations

from collections.abc import Callable

ALIGN = 64
MAX_BYTES = 1 << 32


def size_class(nbytes: int) -> int:
    n = max(nbytes, 1)
    if n <= 512:
        return -(-n // 64) * 64
    if n <= 4096:
        return -(-n // 512) * 512
    if n <= 1 << 20:
        return 1 << (n - 1).bit_length()
    return -(-n // 65536) * 65536


class Allocator:
    """Addresses in a linear memory; `grow(nbytes)` makes the memory at least that large or fails."""

    def __init__(self, grow: Callable[[int], bool], start: int = ALIGN) -> None:
        self._grow = grow
        self._top = start  # address 0 stays unused: a null pointer never names a buffer
        self._free: dict[int, list[int]] = {}
        self._sizes: dict[int, int] = {}
        self._free_ends: dict[int, int] = {}  # end address -> start of a free block
        self.in_use = 0

    def alloc(self, nbytes: int) -> int:
        size = size_class(nbytes)
        free = self._free.get(size)
        if free:
            addr = free.pop()
            del self._free_ends[addr + size]
        else:
            if not self._bump_fits(size):
                self._trim_top()
                if not self._bump_fits(size):
                    raise MemoryError(
                        f"wasm backend out of memory: cannot allocate {nbytes} bytes; {self.in_use} bytes are in "
                        f"use and linear memory (memory32) is limited to {MAX_BYTES >> 30} GiB; free arrays with "
                        f"x.delete() or use another backend for larger data"
                    )
            addr = self._top
            self._top = addr + size
        self._sizes[addr] = size
        self.in_use += size
        return addr

    def free(self, addr: int) -> None:
        size = self._sizes.pop(addr, None)
        if size is None:
            raise ValueError(f"wasm allocator: address {addr} is not an allocated block (double free?)")
        self.in_use -= size
        self._free.setdefault(size, []).append(addr)
        self._free_ends[addr + size] = addr

    def _bump_fits(self, size: int) -> bool:
        end = self._top + size
        return end <= MAX_BYTES and self._grow(end)

    def _trim_top(self) -> None:
        """Move the bump pointer down over the free blocks that end at it."""
        while self._top in self._free_ends:
            addr = self._free_ends.pop(self._top)
            self._free[self._top - addr].remove(addr)
            self._top = addr

    def size_of(self, addr: int) -> int:
        return self._sizes[addr]

    @property
    def top(self) -> int:
        return self._top
