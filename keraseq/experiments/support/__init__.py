"""What the claims share; no claim of its own.

* `encoders`: the four sequence encoders the claims compare at equal width (`sequence_encoder`).
* `recall`: the recall task, its classifier, and its report and figure (memory, highway, range).
* `language`: the language-model runs of the speed and scaling claims (`train_lm`, `sample_text`).
* `finetuned`: the pretrained and fine-tuned MiniGPTs of the post-training claims (`FinetunedRuns`).
* `plotting`: figures written atomically as PNG.
"""
