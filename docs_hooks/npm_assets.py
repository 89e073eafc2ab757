"""mkdocs hook: serve third-party browser files from the site itself, fetched from npm at build.

The site must work offline, so the JavaScript it runs is copied into `site/assets/vendor/`:
KaTeX (the math: script, auto-render extension, stylesheet and fonts) and iframe-worker (the shim
Material's offline plugin needs for search from `file://`, which it would otherwise load from a
CDN). These files are never committed: the first build runs `npm pack <name>@<version>` for each
package below, checks the tarball against its pinned sha512 integrity, and unpacks the listed paths
into `.cache/npm-assets/<name>-<version>/` (git-ignored); later builds reuse that folder.

To change a version, update both its version and integrity: `npm view <name>@<version>
dist.integrity`.
"""

import base64
import hashlib
import shutil
import subprocess
import tarfile
import tempfile
from pathlib import Path
from typing import NamedTuple

from mkdocs.exceptions import PluginError
from mkdocs.structure.files import File


class NpmPackage(NamedTuple):
    name: str
    version: str
    integrity: str
    paths: tuple  # files or folders inside the package, served as assets/vendor/<name>/<path>


PACKAGES = (
    NpmPackage(
        "katex",
        "0.16.22",
        "sha512-XCHRdUw4lf3SKBaJe4EvgqIuWwkPSo9XoeO8GjQW94Bp7TWv9hNhzZjZ+OH9yf1UmLygb7DIT5GSFQiyt16zYg==",
        (
            "dist/katex.min.js",
            "dist/katex.min.css",
            "dist/contrib/auto-render.min.js",
            "dist/fonts",
        ),
    ),
    NpmPackage(
        "iframe-worker",
        "1.0.4",
        "sha512-roeaaI+Lg1LJNfgpCjoRe/+WzEjy9+Z08LoEvu85MCPbBjwm+qXz8Ag5U05lHa6V1CysZyGzE0SOkAtSUA5q7Q==",
        ("shim/index.js",),
    ),
)
SITE_FOLDER = "assets/vendor"


def fetch(package, target):
    """`npm pack` the pinned package, check its integrity, unpack its listed paths into `target`."""
    if shutil.which("npm") is None:
        raise PluginError(
            f"{package.name} is taken from the npm registry at build time: install npm"
        )
    spec = f"{package.name}@{package.version}"
    with tempfile.TemporaryDirectory() as tmp:
        subprocess.run(
            ["npm", "pack", spec, "--pack-destination", tmp, "--silent"],
            check=True,
            stdout=subprocess.DEVNULL,
        )
        tarball = Path(tmp) / f"{package.name}-{package.version}.tgz"
        digest = base64.b64encode(hashlib.sha512(tarball.read_bytes()).digest()).decode()
        if f"sha512-{digest}" != package.integrity:
            raise PluginError(f"{spec}: the tarball's sha512 differs from the pinned integrity")
        unpacked = Path(tmp) / "unpacked"
        with tarfile.open(tarball) as archive:
            archive.extractall(unpacked, filter="data")
        staging = target.with_name(target.name + ".partial")
        shutil.rmtree(staging, ignore_errors=True)
        for path in package.paths:
            source, copy = unpacked / "package" / path, staging / path
            copy.parent.mkdir(parents=True, exist_ok=True)
            (shutil.copytree if source.is_dir() else shutil.copyfile)(source, copy)
        staging.rename(target)  # only a complete folder counts as cached


def on_files(files, config):
    cache = Path(config.config_file_path).parent / ".cache" / "npm-assets"
    for package in PACKAGES:
        folder = cache / f"{package.name}-{package.version}"
        if not folder.is_dir():
            fetch(package, folder)
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            uri = f"{SITE_FOLDER}/{package.name}/{path.relative_to(folder).as_posix()}"
            files.append(File.generated(config, uri, abs_src_path=str(path)))
    return files
