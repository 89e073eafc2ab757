"""mkdocs hook: drop the build machine's start-up noise from the executed notebooks' outputs.

When TensorFlow is installed, importing Keras loads it, whatever the backend, and its C++ runtime
writes start-up lines (oneDNN, CUDA drivers, CPU instructions) straight to the process's stderr,
which Jupyter captures into the first cells' outputs; importing keras-hub in a kernel without
ipywidgets makes tqdm warn (with the path of its file on the build machine) that the kernel has no
progress bars. They say nothing about the page. This hook removes a stderr output block only when
*every* line of it is such a line; any other stderr output (a Python warning, say) stays on the
page.
"""

import re

LOG_LINE = (
    r"(?:WARNING: All log messages before absl::InitializeLog\(\) is called are written to STDERR"
    r"|[IWE]\d{4} \d\d:\d\d:[\d.]+ +\d+ [\w.]+:\d+\] [^\n]*"
    r"|To enable the following instructions: [^\n]*"
    r"|[^\n]*TqdmWarning: IProgress not found[^\n]*\n +from \.autonotebook import tqdm[^\n]*)\n"
)
STDERR_BLOCK = re.compile(
    r'<div class="jp-OutputArea-child">\s*<div class="jp-OutputPrompt '
    r'jp-OutputArea-prompt"></div>\s*'
    r'<div class="jp-RenderedText jp-OutputArea-output" '
    r'data-mime-type="application/vnd.jupyter.stderr"'
    rf"[^>]*>\s*<pre>(?:{LOG_LINE})+</pre>\s*</div>\s*</div>\n?"
)


def strip_tensorflow_logs(html):
    return STDERR_BLOCK.sub("", html)


def on_page_content(html, page, config, files):
    return strip_tensorflow_logs(html) if page.file.src_uri.endswith(".py") else html
