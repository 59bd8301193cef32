"""Reading untrusted files safely: in a forked child under an address-space limit and a deadline.

A PDF can be a decompression bomb or hold millions of objects; the parent gets the result or one
clear message, and never stalls or runs out of memory itself.
"""

from __future__ import annotations

from abstract_search.records import CorpusError


def run_guarded(function, args: tuple, *, memory: int, seconds: float, what: str):
    """Runs `function(*args)` in a forked child under an address-space limit and a deadline."""
    import multiprocessing

    context = multiprocessing.get_context("fork")
    receiver, sender = context.Pipe(duplex=False)
    child = context.Process(target=_child_main, args=(sender, function, args, memory), daemon=True)
    child.start()
    sender.close()
    try:
        if not receiver.poll(seconds):
            child.kill()
            raise CorpusError(f"{what}: reading took longer than {seconds:g} s; not read")
        try:
            status, value = receiver.recv()
        except EOFError:
            child.join()
            raise CorpusError(
                f"{what}: reading needed more than {memory / 2**30:.1f} GiB of memory or crashed "
                f"(exit code {child.exitcode}); not read"
            ) from None
    finally:
        receiver.close()
        child.join(timeout=5)
    if status == "error":
        raise CorpusError(value)
    return value


def _child_main(sender, function, args, memory: int) -> None:
    import faulthandler
    import resource

    faulthandler.disable()  # a child stopped by its memory limit is reported by the parent, not dumped

    try:
        with open("/proc/self/statm") as handle:
            mapped = int(handle.read().split()[0]) * resource.getpagesize()
        resource.setrlimit(resource.RLIMIT_AS, (mapped + memory, mapped + memory))
    except (OSError, ValueError):
        pass  # no /proc or no limit on this system: read unguarded
    try:
        sender.send(("ok", function(*args)))
    except CorpusError as err:
        sender.send(("error", str(err)))
    except MemoryError:
        sender.send(("error", f"{args[0]}: reading needed more than {memory / 2**30:.1f} GiB of memory; not read"))
    finally:
        sender.close()
