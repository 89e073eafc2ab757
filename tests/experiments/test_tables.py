"""The tables and the scaling findings are built from the results dict, whatever the numbers say."""

from keraseq.experiments import (
    backend_table,
    comparison_table,
    format_table,
    markdown_table,
    model_table,
)
from keraseq.experiments.claims import scaling
from keraseq.experiments.claims.speed import smoothed, time_to_target


def results(transformer_growth, lstm_delay):
    lm = lambda params, val, t: {
        "parameters": params,
        "step_time": 0.01,
        "val_loss": val,  # noqa: E731
        "time_to_target": t,
        "sample": "the | cat",
    }
    return {
        "experiments": {
            "speed": {
                "length": [16, 128],
                "target_loss": 2.5,
                "growth": {"rnn": 8.0, "lstm": 8.5, "gru": 8.2, "transformer": transformer_growth},
                "lm": {
                    "rnn": lm(10, 2.6, None),
                    "lstm": lm(20, 2.4, 30.0),
                    "gru": lm(15, 2.5, 25.0),
                    "transformer": lm(30, 2.2, 12.0),
                },
            },
            "memory": {
                "accuracy": {k: [1.0] for k in ("rnn", "lstm", "gru", "transformer")},
                "longest_recalled": {"rnn": None, "lstm": lstm_delay, "gru": 5, "transformer": 50},
            },
        }
    }


def test_comparison_verdicts_follow_the_numbers():
    header, rows = comparison_table(results(transformer_growth=2.0, lstm_delay=20))
    by_aspect = {r[0]: r for r in rows}
    assert header[-1] == "claim" and len(rows) == 4
    assert by_aspect["parallelization"][-1] == "held"
    assert by_aspect["long-range dependencies"][3:7] == ["not reached", "20", "5", "50"]
    assert by_aspect["training speed"][-1] == "held"  # 12 s against 25, 30 and never
    assert by_aspect["scalability"][-1] == "—"  # scaling did not run
    _, rows = comparison_table(results(transformer_growth=20.0, lstm_delay=80))
    by_aspect = {r[0]: r for r in rows}
    assert by_aspect["parallelization"][-1] == "did not hold here"
    assert by_aspect["long-range dependencies"][-1] == "did not hold here"


def test_backend_table_sets_runs_side_by_side():
    jax, torch = results(2.0, 20), results(20.0, 80)
    jax.update(backend="jax", mode="quick", seconds={"speed": 30.0, "memory": 12.0})
    jax["experiments"]["vanishing"] = {
        "vanished_at": {"rnn": 21, "lstm": 33, "gru": 30, "transformer": None}
    }
    torch.update(backend="torch", mode="quick", seconds={"speed": 20.0})
    header, rows = backend_table([jax, torch])
    assert header[:4] == ["backend", "mode", "seconds", "gradient < floor from distance"]
    assert header[4] == "parallelization: step time ×, T=16→128" and len(header) == 8
    assert rows[0][:4] == ["jax", "quick", "42", "21 / 33 / 30 / never"]
    assert rows[0][4] == "8.0 / 8.5 / 8.2 / 2.0 (held)"
    assert rows[1][3] == "— / — / — / —"
    assert rows[1][5] == "not reached / 80 / 5 / 50 (did not hold here)"


def test_model_table_has_one_row_per_model():
    header, rows = model_table(results(2.0, 20))
    assert [r[0] for r in rows] == ["RNN", "LSTM", "GRU", "Transformer (MiniGPT)"]
    assert rows[3][1] == "30" and rows[0][3] == "none tested" and rows[1][3] == "20"
    assert "| 'the \\| cat' |" in markdown_table(header, rows)
    assert len(format_table(header, rows).splitlines()) == 6
    _, empty = model_table({"experiments": {}})
    assert all(cell == "—" for row in empty for cell in row[1:])


def point(hidden_dim, params, val):
    return {"hidden_dim": hidden_dim, "parameters": params, "val_loss": val}


def test_scaling_findings_say_who_wins_and_where_the_order_flips():
    result = {
        "points": {
            "lstm": [point(16, 1000, 2.5), point(64, 10000, 2.3)],
            "transformer": [point(16, 1200, 2.7), point(64, 12000, 2.0)],
        }
    }
    result["slope"] = {k: scaling.slope(p) for k, p in result["points"].items()}
    assert abs(result["slope"]["lstm"] - (-0.2)) < 1e-9
    text = " ".join(scaling.describe(result))
    assert "At width 16: the LSTM LM wins, 2.500 against 2.700" in text
    assert "At width 64: MiniGPT wins" in text
    assert "flips between width 16 and 64" in text


def test_scalability_reads_the_two_largest_sizes():
    """The LSTM has the steeper slope overall (it starts far behind) but has stopped improving."""
    data = results(2.0, 20)
    data["experiments"]["scaling"] = {
        "points": {
            "lstm": [point(16, 1000, 3.0), point(64, 10000, 2.0), point(128, 100000, 2.01)],
            "transformer": [point(16, 1000, 2.2), point(64, 10000, 1.9), point(128, 100000, 1.8)],
        }
    }
    scaling_row = {r[0]: r for r in comparison_table(data)[1]}["scalability"]
    assert scaling_row[2] == "val loss per 10× params, two largest sizes"
    assert scaling_row[4] == "+0.010" and scaling_row[6] == "-0.100" and scaling_row[-1] == "held"
    result = data["experiments"]["scaling"]
    result["slope"] = {k: scaling.slope(p) for k, p in result["points"].items()}
    slopes = result["slope"]
    assert slopes["lstm"] < slopes["transformer"]  # the whole range says the opposite
    text = " ".join(scaling.describe(result))
    assert "the LSTM LM between its two largest sizes: +0.010 per 10× parameters." in text


def test_time_to_target_uses_the_smoothed_loss():
    run = {"loss": [4.0, 3.0, 2.0, 1.0, 1.0, 1.0], "seconds": [0, 1, 2, 3, 4, 5]}
    ema = smoothed(run["loss"])
    assert ema[0] == 4.0 and abs(ema[1] - 3.9) < 1e-12
    reached = next(t for t, v in zip(run["seconds"], ema) if v <= 3.5)
    assert time_to_target(run, 3.5) == reached
    assert time_to_target(run, 0.5) is None
