"""Build an offline bundle of linkready for an air-gapped machine: one zip of wheels and INSTALL.txt.

    python scripts/build_bundle.py --platform win_amd64 [--python-version 3.11] [--output dist]
    python scripts/build_bundle.py --platform manylinux_2_28_x86_64
    python scripts/build_bundle.py --platform macosx_11_0_arm64

The zip holds ``wheels/`` (the linkready wheel and a wheel of every dependency for that platform and
Python version, downloaded with ``pip download --only-binary=:all:``: no sdist, so nothing is compiled on
the jump box) and ``INSTALL.txt``. On the target machine, from the unpacked folder:

    py -m pip install --no-index --find-links .\\wheels linkready          (Windows, PowerShell or cmd)
    python3 -m pip install --no-index --find-links ./wheels linkready      (Linux, macOS)

A ``manylinux_2_N`` tag is expanded here to every older compatible one (pip does not do that for
``--platform``): a wheel built for glibc 2.17 installs on a glibc 2.28 machine.
Exit codes: 0 built, 2 usage error, 3 pip could not download a wheel (the message names it).
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PLATFORM = re.compile(r"^(win_amd64|win_arm64|win32|manylinux[0-9a-z_]*_(x86_64|aarch64)|musllinux_\d+_\d+_(x86_64|aarch64)"
                      r"|macosx_\d+_\d+_(x86_64|arm64|universal2))$")
PYTHON_VERSION = re.compile(r"^3\.\d{1,2}$")

INSTALL = """linkready {version} offline bundle for {platform}, Python {python}
================================================================

Contents: wheels/ holds linkready and every package it needs, as wheels for {platform} and
Python {python}. Nothing is downloaded and nothing is compiled during the install.

1. Install Python {python} (64-bit) for this machine, e.g. from the python.org installer
   (tick "Add python.exe to PATH"; the "py" launcher is installed with it).
2. Install the SQL Server ODBC driver: "ODBC Driver 18 for SQL Server" (msodbcsql18) from
   Microsoft; on Windows it is a single .msi. Windows' built-in "SQL Server" driver is not used.
3. Unpack this zip, open PowerShell in the unpacked folder and run:

     py -{python} -m venv .venv; .\\.venv\\Scripts\\python -m pip install --no-index --find-links .\\wheels linkready

   Without a virtual environment (installs for the current user):

     py -m pip install --user --no-index --find-links .\\wheels linkready

   On Linux or macOS:

     python3 -m venv .venv && .venv/bin/python -m pip install --no-index --find-links ./wheels linkready

4. Check it:   .\\.venv\\Scripts\\linkready --version   then   .\\.venv\\Scripts\\linkready demo --open
5. Run it with Windows authentication (auth = "windows" in the target file, from `linkready init`):

     .\\.venv\\Scripts\\linkready check --config target.toml --format console,html --output report
"""


class BundleError(Exception):
    """A step failed; the message says which and why."""


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Build an offline bundle (wheels + INSTALL.txt) of linkready.")
    parser.add_argument("--platform", required=True,
                        help="pip platform tag: win_amd64, manylinux_2_28_x86_64, macosx_11_0_arm64, ...")
    parser.add_argument("--python-version", default=f"{sys.version_info.major}.{sys.version_info.minor}",
                        help="Python version of the target machine, e.g. 3.11 (default: this Python)")
    parser.add_argument("--output", type=Path, default=ROOT / "dist", help="directory for the zip (default: dist)")
    parser.add_argument("--wheel", type=Path, help="an already built linkready wheel (default: build one)")
    args = parser.parse_args(argv)
    if not PLATFORM.match(args.platform):
        parser.error(f"--platform {args.platform!r} is not a wheel platform tag (win_amd64, manylinux_2_28_x86_64, "
                     "macosx_11_0_arm64, ...)")
    if not PYTHON_VERSION.match(args.python_version):
        parser.error(f"--python-version {args.python_version!r}: give major.minor, e.g. 3.11")
    if args.wheel is not None and not args.wheel.is_file():
        parser.error(f"--wheel {args.wheel}: no such file")
    return args


def run(command: list[str], what: str) -> None:
    proc = subprocess.run(command, capture_output=True, text=True)
    if proc.returncode != 0:
        lines = [line for line in (proc.stderr or proc.stdout).splitlines() if line.strip()]
        errors = [line for line in lines if line.startswith("ERROR")] or lines[-3:]
        raise BundleError(f"{what} failed: {' / '.join(errors)}")


def build_wheel(into: Path) -> Path:
    run([sys.executable, "-m", "build", "--wheel", "--outdir", str(into), str(ROOT)], "building the linkready wheel")
    [wheel] = into.glob("linkready-*.whl")
    return wheel


def compatible_platforms(platform: str) -> list[str]:
    """``platform`` and the older tags a machine of that platform also installs (newest first)."""
    found = re.match(r"^(manylinux|musllinux)_(\d+)_(\d+)_(\w+)$", platform)
    if not found:
        return [platform]
    family, major, minor, arch = found[1], int(found[2]), int(found[3]), found[4]
    lowest = 17 if family == "manylinux" else 1
    tags = [f"{family}_{major}_{m}_{arch}" for m in range(minor, lowest - 1, -1)]
    if family == "manylinux" and major == 2 and minor >= 17:
        tags.append(f"manylinux2014_{arch}")  # the legacy alias of manylinux_2_17
    return tags


def download(wheel: Path, platform: str, python: str, into: Path) -> None:
    """Every dependency of ``wheel`` as a binary wheel for ``platform`` / ``python`` (no sdist)."""
    platforms = [arg for tag in compatible_platforms(platform) for arg in ("--platform", tag)]
    run([sys.executable, "-m", "pip", "download", "--disable-pip-version-check", "--only-binary=:all:",
         *platforms, "--python-version", python, "--implementation", "cp",
         "--dest", str(into), str(wheel)], f"downloading wheels for {platform} / Python {python}")


def bundle(args: argparse.Namespace) -> Path:
    with tempfile.TemporaryDirectory(prefix="linkready-bundle-") as tmp:
        work = Path(tmp)
        wheel = args.wheel.resolve() if args.wheel else build_wheel(work / "build")
        version = wheel.name.split("-")[1]
        wheels = work / "wheels"
        wheels.mkdir()
        download(wheel, args.platform, args.python_version, wheels)
        found = sorted(wheels.iterdir())
        not_wheels = [p.name for p in found if p.suffix != ".whl"]
        if not_wheels:  # --only-binary makes this impossible; kept so a pip change cannot slip an sdist in
            raise BundleError(f"not wheels: {', '.join(not_wheels)}")
        args.output.mkdir(parents=True, exist_ok=True)
        target = args.output / f"linkready-{version}-offline-{args.platform}-py{args.python_version}.zip"
        text = INSTALL.format(version=version, platform=args.platform, python=args.python_version)
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
            zf.writestr("INSTALL.txt", text.replace("\n", "\r\n"))  # readable in Notepad
            for path in found:
                zf.write(path, f"wheels/{path.name}")
        return target


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        target = bundle(args)
    except BundleError as exc:
        print(f"build_bundle: {exc}", file=sys.stderr)
        return 3
    print(target)
    return 0


if __name__ == "__main__":
    sys.exit(main())
