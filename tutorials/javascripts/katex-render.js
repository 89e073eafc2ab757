// Render the math with KaTeX (served from the site, see docs_hooks/npm_assets.py).
// Markdown pages and docstrings: pymdownx.arithmatex (generic mode) wraps each formula in an
// element of class "arithmatex" holding \( \) or \[ \]. Notebook pages: the markdown cells keep
// their $ $ and $$ $$. Code and outputs (<pre>, <code>) are never touched.
document.addEventListener("DOMContentLoaded", function () {
  var delimiters = [
    { left: "$$", right: "$$", display: true },
    { left: "\\[", right: "\\]", display: true },
    { left: "\\(", right: "\\)", display: false },
    { left: "$", right: "$", display: false },
  ];
  document.querySelectorAll(".arithmatex, .jp-RenderedMarkdown").forEach(function (element) {
    renderMathInElement(element, { delimiters: delimiters, throwOnError: false });
  });
});
