"""A safe evaluator of arithmetic on one variable: parsed with `ast`, never given to `eval`."""

import ast

OPERATORS = {
    ast.Add: lambda a, b: a + b,
    ast.Sub: lambda a, b: a - b,
    ast.Mult: lambda a, b: a * b,
}
MAX_POWER = 3  # `**` only with a literal exponent 0..3, so no input can blow up
MAX_LENGTH = 200


def evaluate(expression, x):
    """The value of `expression` (integers, `x`, `+ - * **`, parentheses, unary minus) at `x`.

    Anything else (a name other than `x`, a call, an attribute, a float, a big power, a syntax
    error) raises `ValueError`: the text is a model's output, so nothing in it may run.

    Example:

    ```python
    evaluate("(x+3)**2", 2)      # 25
    evaluate("__import__('os')", 2)   # ValueError
    ```
    """
    if len(expression) > MAX_LENGTH:
        raise ValueError(f"expression longer than {MAX_LENGTH} characters")
    try:
        tree = ast.parse(expression, mode="eval")
    except SyntaxError as err:
        raise ValueError(f"not an expression: {err.msg}") from None
    return _value(tree.body, x)


def _value(node, x):
    if isinstance(node, ast.Name) and node.id == "x":
        return x
    if isinstance(node, ast.Constant) and type(node.value) is int:
        return node.value
    if isinstance(node, ast.UnaryOp) and isinstance(node.op, (ast.USub, ast.UAdd)):
        value = _value(node.operand, x)
        return -value if isinstance(node.op, ast.USub) else value
    if isinstance(node, ast.BinOp):
        if isinstance(node.op, ast.Pow):
            power = node.right
            if not (isinstance(power, ast.Constant) and type(power.value) is int):
                raise ValueError("`**` needs a literal integer exponent")
            if not 0 <= power.value <= MAX_POWER:
                raise ValueError(f"`**` exponent must be in 0..{MAX_POWER}")
            return _value(node.left, x) ** power.value
        if type(node.op) in OPERATORS:
            return OPERATORS[type(node.op)](_value(node.left, x), _value(node.right, x))
    raise ValueError(f"{type(node).__name__} is not allowed in an arithmetic expression")
