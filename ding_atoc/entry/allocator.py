"""
Overview:
    Let a training process keep the memory it frees for its next allocations instead of handing it back to the kernel
    (glibc's ``mallopt``). A learn step allocates and frees the same large activations step after step. With glibc's
    defaults, blocks above a threshold (128 KiB to start with) are fresh ``mmap`` s, unmapped again when freed, and
    freed memory at the top of the heap is trimmed away, so each step touches new pages and pays one page fault per
    4 KiB page: 38,000 per learn step at A=100, B=256 (``bench/page_faults.py``), at 7.4 us each in the virtual
    machine this project is developed on (a fraction of that on bare metal). PyTorch's CPU performance guide makes
    the same point and recommends jemalloc or tcmalloc; these two settings get most of that with glibc alone.

    What it changes: blocks up to 32 MiB (glibc's ceiling for the threshold on 64-bit systems) come from the heap,
    and up to 1 GiB of free memory at its top stays mapped. The process keeps its peak heap; results do not change.
"""
import ctypes
import platform

#: ``mallopt`` parameters (glibc's malloc.h).
M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
#: The largest ``M_MMAP_THRESHOLD`` glibc accepts on 64-bit systems (HEAP_MAX_SIZE / 2); larger blocks are always
#: mapped on their own.
MMAP_THRESHOLD_MAX = 32 * 1024 * 1024
#: Free memory at the top of the heap kept mapped rather than trimmed.
TRIM_THRESHOLD = 1024 * 1024 * 1024


def keep_freed_memory() -> bool:
    """
    Overview:
        Set glibc's allocator to keep freed memory for reuse (see the module's docstring). Affects the whole
        process and the processes it forks afterwards.
    Returns:
        - applied (:obj:`bool`): False where the C library is not glibc (macOS, musl), which this leaves as it is.
    """
    if platform.system() != 'Linux' or platform.libc_ver()[0] != 'glibc':
        return False
    libc = ctypes.CDLL(None)  # the C library this process already runs on
    return bool(libc.mallopt(M_MMAP_THRESHOLD, MMAP_THRESHOLD_MAX)) and bool(
        libc.mallopt(M_TRIM_THRESHOLD, TRIM_THRESHOLD)
    )
