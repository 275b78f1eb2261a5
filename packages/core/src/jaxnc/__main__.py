"""`python -m jaxnc`: version, plugins (and why any is unusable), devices and the default device."""

from __future__ import annotations

import sys


def main() -> int:
    import jaxnc
    from jaxnc._src.backends.registry import registry

    print(f"jaxnc {jaxnc.__version__} (Python {sys.version.split()[0]})")
    entries = registry.entries
    print("plugins:", ", ".join(registry.plugins) or "none")
    for name, error in registry.broken.items():
        print(f"  broken plugin {name}: {error}")
    print("backends:")
    for name, entry in sorted(entries.items(), key=lambda kv: -kv[1].spec.priority):
        status = "usable" if entry.reason is None else f"unusable: {entry.reason}"
        soft = " (software; never the default)" if entry.spec.software else ""
        print(f"  {name:<8} priority {entry.spec.priority:<4} from {entry.spec.plugin}: {status}{soft}")
    try:
        default = jaxnc.devices()[0]
    except RuntimeError as e:
        print(f"default device: none ({e})")
        return 1
    for name in registry.allowed_platforms():
        try:
            print(f"devices[{name}]:", ", ".join(str(d) for d in jaxnc.devices(name)))
        except RuntimeError as e:
            print(f"devices[{name}]: unavailable ({e})")
    print(f"default device: {default}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
