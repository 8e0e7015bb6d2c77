"""Constants of the embedded model recipe (no PyTorch needed to read them)."""

TRAIN_SEED = 101
EVAL_SEED = 2
N_TRAIN = 400_000  # training problems (a part of them also appears in other formats)
N_EVAL = 500         # held-out problems for the evaluation
VOCAB = 512
MAX_LEN = 320

# 5.47M parameters.
MODEL = dict(vocab_size=VOCAB, hidden_size=320, num_hidden_layers=8, state_size=64, expand=2,
             head_dim=64, num_heads=10, n_groups=1, conv_kernel=4, chunk_size=64,
             use_bias=False, use_conv_bias=True, tie_word_embeddings=True, bos_token_id=0,
             eos_token_id=0, pad_token_id=0, residual_in_fp32=True, layer_norm_epsilon=1e-5)
