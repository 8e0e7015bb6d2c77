#!/usr/bin/env python3
"""Converts a recipe checkpoint (ckpt.pt: {"model": state_dict, "head": state_dict}, saved by
torch.save) into a Hugging Face model folder and the PRM head, without PyTorch: the torch zip
format is a pickle that names raw little-endian storages. Only fp32 contiguous tensors (what the
recipe saves) are supported.

  python3 tools/embedded_model/pt_to_safetensors.py ckpt.pt tokenizer.json OUT_DIR
"""
import json
import os
import pickle
import struct
import sys
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from recipe_config import MODEL  # noqa: E402


class _Storage:
    def __init__(self, key, dtype):
        self.key, self.dtype = key, dtype


class _Tensor:
    def __init__(self, storage, offset, shape, stride):
        self.storage, self.offset, self.shape, self.stride = storage, offset, tuple(shape), tuple(stride)


def _rebuild_tensor_v2(storage, offset, size, stride, *_):
    return _Tensor(storage, offset, size, stride)


class _Unpickler(pickle.Unpickler):
    def find_class(self, module, name):
        if name == "_rebuild_tensor_v2":
            return _rebuild_tensor_v2
        if module == "torch" and name.endswith("Storage"):
            return name
        if module == "collections" and name == "OrderedDict":
            import collections
            return collections.OrderedDict
        raise pickle.UnpicklingError(f"unexpected {module}.{name}")

    def persistent_load(self, pid):
        # ('storage', storage_type, key, location, numel)
        _, stype, key, _, _ = pid
        return _Storage(key, stype)


def load(path):
    z = zipfile.ZipFile(path)
    root = z.namelist()[0].split("/")[0]
    obj = _Unpickler(z.open(f"{root}/data.pkl")).load()

    def raw(t):
        if t.storage.dtype not in ("FloatStorage",) and "float" not in str(t.storage.dtype).lower():
            raise SystemExit(f"unsupported storage {t.storage.dtype}")
        n = 1
        for d in t.shape:
            n *= d
        expect, acc = [], 1
        for d in reversed(t.shape):
            expect.insert(0, acc)
            acc *= d
        if tuple(expect) != t.stride and n > 1:
            raise SystemExit("non-contiguous tensor")
        data = z.read(f"{root}/data/{t.storage.key}")
        return data[4 * t.offset: 4 * (t.offset + n)]
    return {k: {name: (t.shape, raw(t)) for name, t in sd.items()} for k, sd in obj.items()}


def write_safetensors(path, tensors):
    header, offset, blobs = {}, 0, []
    for name, (shape, data) in tensors.items():
        header[name] = {"dtype": "F32", "shape": list(shape), "data_offsets": [offset, offset + len(data)]}
        offset += len(data)
        blobs.append(data)
    text = json.dumps(header, separators=(",", ":"))
    text += " " * ((8 - len(text) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(text)))
        f.write(text.encode())
        for b in blobs:
            f.write(b)


def main():
    ckpt, tokenizer, out = sys.argv[1:4]
    sd = load(ckpt)
    os.makedirs(out, exist_ok=True)
    model = {k: v for k, v in sd["model"].items() if k != "lm_head.weight"}  # tied
    write_safetensors(os.path.join(out, "model.safetensors"), model)
    config = dict(MODEL, architectures=["Mamba2ForCausalLM"], model_type="mamba2",
                  time_step_limit=[0.0, {"__float__": "Infinity"}], rms_norm=True)
    json.dump(config, open(os.path.join(out, "config.json"), "w"), indent=2)
    head = sd["head"]
    write_safetensors(os.path.join(out, "prm.head.safetensors"),
                      {"weight": head["weight"], "bias": head["bias"]})
    json.dump({"name": "prm", "weights": "prm.head.safetensors", "weight": "weight", "bias": "bias",
               "activation": "sigmoid", "labels": ["steps_so_far_correct"]},
              open(os.path.join(out, "prm.head.json"), "w"), indent=1)
    with open(tokenizer) as src, open(os.path.join(out, "tokenizer.json"), "w") as dst:
        dst.write(src.read())
    print(json.dumps({"tensors": len(model), "out": out}))


if __name__ == "__main__":
    main()
