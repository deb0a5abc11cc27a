"""Released BLTs in and out of NEAT (docs/released-blt.md): the reference layout computes
exactly what transformers' BltForCausalLM and its patcher compute, on tiny random models
that transformers itself makes; import, export, the walkthrough, the errors."""

from __future__ import annotations

import importlib.util
import json
import math
import os
import re
import runpy
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch

transformers = pytest.importorskip("transformers")

import neat_core  # noqa: E402
from neat_core.api import compute_entropies, load_config, save_checkpoint, to_dict  # noqa: E402
from neat_plugins.blt.hf.exporter import export_checkpoint  # noqa: E402
from neat_plugins.blt.hf.importer import import_folder  # noqa: E402
from neat_plugins.blt.layers.hash_ngrams import (  # noqa: E402
    REFERENCE_PRIMES,
    FusedHashNgramEmbedding,
    prime_hashes,
)

from .blt_util import one_torch_thread, train  # noqa: E402, F401 - autouse fixture
from .test_docs_examples import PLACEHOLDER_ROOT, console_examples  # noqa: E402

REPO = Path(__file__).resolve().parents[1]
TEXTS = [text[:40] for text in (b"The quick brown fox jumps over the lazy dog.",
                                b"def add(a, b):\n    return a + b\n\nprint(add(1, 2))",
                                b"\x00\xff binary \xc3\xa9t\xc3\xa9 bytes and text, mixed up here.")]


def tiny_module():
    spec = importlib.util.spec_from_file_location(
        "tiny_transformers_blt", REPO / "examples" / "tiny_transformers_blt.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def tokens(text: bytes) -> torch.Tensor:
    return torch.tensor([[1] + [b + 4 for b in text]])


def as_idx(*texts: bytes) -> torch.Tensor:
    return torch.tensor([list(text) for text in texts])


def edit_config(folder: Path, **changes) -> None:
    file = folder / "config.json"
    data = json.loads(file.read_text())
    for path, value in changes.items():
        *parents, key = path.split("__")
        node = data
        for parent in parents:
            node = node[parent]
        node[key] = value
    file.write_text(json.dumps(data))


@pytest.fixture(scope="module")
def folders(tmp_path_factory):
    """The tiny BLT of the walkthrough, and a variant with max_patch_length and sliding
    windows in the encoder, decoder and patcher (options that change no weight)."""
    root = tmp_path_factory.mktemp("hf")
    tiny_module().tiny_blt(seed=0).save_pretrained(root / "plain")
    shutil.copytree(root / "plain", root / "windows")
    edit_config(root / "windows", max_patch_length=3, local_attention_window_len=7,
                patcher_config__sliding_window=5)
    return {name: root / name for name in ("plain", "windows")}


@pytest.fixture(scope="module")
def imported(folders, tmp_path_factory):
    root = tmp_path_factory.mktemp("imported")
    for name, folder in folders.items():
        import_folder(folder, root / name)
    return {name: root / name for name in folders}


def hf_model(folder: Path):
    return transformers.BltForCausalLM.from_pretrained(folder).eval()


def byte_lengths(starts: torch.Tensor) -> list[int]:
    positions = starts.nonzero().flatten().tolist() + [len(starts)]
    return [b - a for a, b in zip(positions, positions[1:])]


@pytest.mark.parametrize("variant", ["plain", "windows"])
def test_imported_blt_has_transformers_logits_and_patches(folders, imported, variant):
    reference = hf_model(folders[variant])
    config = reference.config
    model, _ = neat_core.load_model(imported[variant] / "checkpoints" / "best")
    idx = as_idx(*TEXTS)
    with torch.no_grad():
        ours = model(idx)
        starts = model.patcher.starts(idx)
        for row, text in enumerate(TEXTS):
            theirs = reference(tokens(text), use_cache=False).logits
            # NEAT's logits at byte t: transformers' at token t + 1 over the byte tokens
            assert (ours[row] - theirs[0, 1:, 4:]).abs().max() < 1e-4
            _, lengths, _ = reference.model.patcher(
                tokens(text), patch_size=config.patch_size,
                threshold=config.patching_threshold, max_patch_length=config.max_patch_length)
            lengths = lengths[0].tolist()
            neat = byte_lengths(starts[row])
            # transformers: a BOS patch first, and an empty patch after the input when
            # the last byte's entropy passes the threshold (max_patch_length drops it)
            assert lengths[0] == 1
            assert lengths[1:] in (neat, neat + [0]), (lengths, neat)
            assert len(set(neat)) >= 3  # patch sizes vary
            if variant == "windows":
                assert max(neat) <= 3


def test_imported_entropy_model_reports_the_patchers_entropies_in_bits(folders, imported):
    reference = hf_model(folders["plain"])
    entropy_model, _ = neat_core.load_model(
        imported["plain"] / "entropy-model" / "checkpoints" / "best")
    record = json.loads((imported["plain"] / "import.json").read_text())
    threshold = record["patching_threshold"]
    assert threshold["nats"] == pytest.approx(reference.config.patching_threshold)
    assert threshold["bits"] == pytest.approx(threshold["nats"] / math.log(2))
    for text in TEXTS:
        nats = reference.model.patcher(tokens(text))[0][0, 1:]
        bits = compute_entropies(entropy_model, text)
        assert torch.allclose(torch.from_numpy(bits), nats / math.log(2), atol=1e-4)


def test_export_of_an_import_loads_in_transformers_with_equal_logits(folders, imported,
                                                                     tmp_path):
    original = hf_model(folders["plain"])
    export_checkpoint(imported["plain"], tmp_path / "blt")
    export_checkpoint(imported["plain"] / "entropy-model", tmp_path / "patcher")
    exported = hf_model(tmp_path / "blt")
    patcher = transformers.BltPatcher.from_pretrained(tmp_path / "patcher").eval()
    with torch.no_grad():
        for text in TEXTS:
            ids = tokens(text)
            assert (exported(ids, use_cache=False).logits
                    - original(ids, use_cache=False).logits).abs().max() < 1e-5
            assert (patcher(ids)[0] - original.model.patcher(ids)[0]).abs().max() < 1e-5
        # the generation config turns transformers' failing cache off
        greedy = exported.generate(tokens(TEXTS[0]), max_new_tokens=4, do_sample=False)
        assert torch.equal(greedy, original.generate(tokens(TEXTS[0]), max_new_tokens=4,
                                                     do_sample=False, use_cache=False))
    # a patcher's folder comes back in as an entropy model of its own
    import_folder(tmp_path / "patcher", tmp_path / "back")
    back, _ = neat_core.load_model(tmp_path / "back" / "checkpoints" / "best")
    for text in TEXTS:
        nats = original.model.patcher(tokens(text))[0][0, 1:]
        assert torch.allclose(torch.from_numpy(compute_entropies(back, text)),
                              nats / math.log(2), atol=1e-4)
    generation = json.loads((tmp_path / "blt" / "generation_config.json").read_text())
    assert (generation["bos_token_id"], generation["eos_token_id"],
            generation["use_cache"]) == (1, 2, False)
    record = json.loads((tmp_path / "blt" / "neat_export.json").read_text())
    assert record["targets"] == "transformers>=5.23,<6"
    assert record["patching_threshold"]["nats"] == pytest.approx(
        original.config.patching_threshold)


def test_reference_models_trained_in_neat_export_equal_logits(tmp_path):
    entropy_config = load_config(base={"model": {
        "layout": "reference", "hash_ngrams": [], "hidden_size": 16, "num_layers": 1,
        "num_heads": 2, "block_size": 48, "attention_window": 16}}).config
    entropy = neat_core.get_registry().models["blt-entropy"].factory(entropy_config.model)
    train(entropy, steps=15, batch=8)
    save_checkpoint(tmp_path / "entropy", entropy, entropy_config)
    idx = as_idx(*TEXTS)
    with torch.no_grad():
        threshold = float(entropy.entropies(idx).median())
    blt_config = load_config(base={"model": {
        "name": "blt", "layout": "reference", "patching": "global", "threshold": threshold,
        "entropy_checkpoint": str(tmp_path / "entropy"), "block_size": 48, "local_size": 16,
        "local_heads": 2, "latent_size": 24, "latent_heads": 2, "decoder_layers": 2,
        "hash_ngrams": [3, 4], "hash_buckets": 32, "hash_functions": 2}}).config
    blt = neat_core.get_registry().models["blt"].factory(blt_config.model)
    train(blt, steps=6, batch=8)
    save_checkpoint(tmp_path / "blt", blt, blt_config)
    export_checkpoint(tmp_path / "entropy", tmp_path / "entropy-hf")
    export_checkpoint(tmp_path / "blt", tmp_path / "blt-hf")
    patcher = transformers.BltPatcher.from_pretrained(tmp_path / "entropy-hf").eval()
    reference = hf_model(tmp_path / "blt-hf")
    with torch.no_grad():
        ours, our_entropies = blt(idx), entropy.entropies(idx)
        assert len(set(byte_lengths(blt.patcher.starts(idx)[0]))) >= 3
        for row, text in enumerate(TEXTS):
            nats = patcher(tokens(text))[0][0, 1:]
            assert (our_entropies[row] - nats / math.log(2)).abs().max() < 1e-4
            theirs = reference(tokens(text), use_cache=False).logits
            assert (ours[row] - theirs[0, 1:, 4:]).abs().max() < 1e-4


def test_a_reference_blt_with_a_patch_per_byte_exports_without_a_patcher(tmp_path):
    config = load_config(base={"model": {
        "name": "blt", "layout": "reference", "patching": "static", "patch_size": 1,
        "block_size": 48, "local_size": 16, "local_heads": 2, "latent_size": 32,
        "latent_heads": 2, "hash_ngrams": [3], "hash_buckets": 16, "local_window": 9}}).config
    blt = neat_core.get_registry().models["blt"].factory(config.model)
    save_checkpoint(tmp_path / "blt", blt, config)
    export_checkpoint(tmp_path / "blt", tmp_path / "hf")
    reference = hf_model(tmp_path / "hf")
    assert reference.model.patcher is None
    with torch.no_grad():
        ours = blt(as_idx(*TEXTS))
        for row, text in enumerate(TEXTS):
            theirs = reference(tokens(text), use_cache=False).logits
            assert (ours[row] - theirs[0, 1:, 4:]).abs().max() < 1e-4


def test_the_reference_hash_is_transformers(tmp_path):
    from transformers.models.blt import modeling_blt

    ids = torch.randint(0, 260, (2, 40))
    for prime in REFERENCE_PRIMES[:3]:
        for n in (2, 5, 8):  # int64 wraps around for the longer n-grams
            assert torch.equal(prime_hashes(ids, n, prime) % 1000,
                               modeling_blt.byte_group_hash_function(ids, n, prime, 1000))
    fused = FusedHashNgramEmbedding([3, 4], buckets=50, functions=3, dim=8)
    embed = torch.nn.Embedding(260, 8)
    encoder = type("Encoder", (), {"embed_tokens": embed})()
    with torch.no_grad():
        theirs = modeling_blt.compute_hash_embeddings(ids, encoder, fused.table, 3, [3, 4], 50)
        assert torch.allclose(embed(ids) + fused(ids), theirs, atol=1e-6)


# --- the walkthrough of docs/released-blt.md runs as written ------------------------------

@pytest.mark.slow
def test_the_walkthrough_runs_as_written(tmp_path, monkeypatch, run_cli):
    """import, patch, calibrate, eval, generate, fine-tune (--init-from), export."""
    shutil.copytree(REPO / "docs", tmp_path / "docs")
    shutil.copy(REPO / "README.md", tmp_path)
    shutil.copytree(REPO / "examples", tmp_path / "examples",
                    ignore=shutil.ignore_patterns("neat-plugin-example"))
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))  # the byte cache of fine-tuning
    examples = console_examples((REPO / "docs" / "released-blt.md").read_text())
    assert [command.split()[:2] for command, _ in examples] == [
        ["python", "examples/tiny_transformers_blt.py"], ["neat", "import"],
        ["neat", "patch"], ["neat", "patch"], ["neat", "eval"], ["neat", "generate"],
        ["neat", "train"], ["neat", "export"]]
    for command, expected in examples:
        argv = shlex.split(command)
        if argv[0] == "python":
            monkeypatch.setattr(sys, "argv", argv[1:])
            runpy.run_path(argv[1], run_name="__main__")
            continue
        result = run_cli(*argv[1:])
        assert result.exit_code == 0, (command, result.output)
        output = result.output.replace(str(tmp_path), PLACEHOLDER_ROOT)
        for line in expected:  # numbers may differ with another torch's random init
            if line != "...":
                pattern = re.sub(r"\\?\d[\d.]*", r"[-\\d.e]+", re.escape(line))
                assert re.search(pattern, output), (command, line, output)
    calibrated = json.loads(run_cli(*shlex.split(examples[3][0])[1:]).stdout)
    assert calibrated["summary"]["average_patch_size"] == pytest.approx(6, rel=0.1)
    tuned, _ = neat_core.load_model(tmp_path / "runs" / "blt-tuned" / "checkpoints" / "best")
    assert tuned.config.threshold == 2.03 and tuned.config.layout == "reference"
    assert hf_model(tmp_path / "runs" / "blt-tuned-hf").config.patching_threshold == \
        pytest.approx(2.03 * math.log(2))


# --- errors: one line, exit 2, naming what is wrong ---------------------------------------

def _drop_tensor(folder: Path) -> None:
    from safetensors.torch import load_file, save_file

    tensors = load_file(folder / "model.safetensors")
    del tensors["model.local_decoder.norm.weight"]
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})


def _reshape_tensor(folder: Path) -> None:
    from safetensors.torch import load_file, save_file

    tensors = load_file(folder / "model.safetensors")
    tensors["model.patcher.norm.weight"] = torch.ones(17)
    save_file(tensors, folder / "model.safetensors", metadata={"format": "pt"})


@pytest.mark.parametrize("damage, message", [
    (_drop_tensor, r"tensor model\.local_decoder\.norm\.weight is missing"),
    (_reshape_tensor, r"tensor model\.patcher\.norm\.weight has shape \[17\], config\.json "
                      r"implies \[16\]"),
    (lambda folder: edit_config(folder, model_type="llama"),
     r"describes a 'llama' model, not a BLT"),
    (lambda folder: edit_config(folder, encoder_config__num_key_value_heads=1),
     r"unsupported option encoder_config\.num_key_value_heads = 1 \(grouped-query"),
    (lambda folder: edit_config(folder, global_config__rope_parameters={
        "rope_type": "linear", "rope_theta": 1e4, "factor": 2.0}),
     r"unsupported option global_config\.rope_parameters\.rope_type = 'linear'"),
])
def test_a_bad_folder_is_one_line_exit_2(folders, tmp_path, run_cli, damage, message):
    folder = tmp_path / "hf"
    shutil.copytree(folders["plain"], folder)
    damage(folder)
    result = run_cli("import", str(folder), "--output-dir", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert re.search(message, result.stderr), result.stderr
    assert len(result.stderr.strip().splitlines()) == 1
    assert sorted(path.name for path in tmp_path.iterdir()) == ["hf"]  # nothing written


def test_without_transformers_the_error_names_the_extra(folders, tmp_path, run_cli,
                                                        monkeypatch):
    monkeypatch.setitem(sys.modules, "transformers", None)  # import fails as if missing
    for args in (["import", str(folders["plain"])], ["export", str(tmp_path)]):
        result = run_cli(*args, "--output-dir", str(tmp_path / "out"))
        assert result.exit_code == 2, result.output
        assert "needs transformers (the optional extra 'hf')" in result.stderr
        assert "pip install 'neat-entropy[hf]'" in result.stderr


def test_only_the_reference_layout_exports(tmp_path, run_cli):
    config = load_config(base={"model": {"hidden_size": 16, "num_layers": 1, "num_heads": 2,
                                         "block_size": 16}}).config
    model = neat_core.get_registry().models["blt-entropy"].factory(config.model)
    save_checkpoint(tmp_path / "neat", model, config)
    result = run_cli("export", str(tmp_path / "neat"), "--output-dir", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert "of layout 'neat'; transformers holds the reference layout only" in result.stderr


def test_start_up_and_help_never_import_transformers():
    code = ("import sys\nfrom neat_core.cli import cli\n"
            "for args in (['--help'], ['plugins'], ['import', '--help'], ['export', '--help']):\n"
            "    try:\n        cli(args, standalone_mode=False)\n"
            "    except SystemExit:\n        pass\n"
            "assert 'transformers' not in sys.modules, 'transformers imported'\n"
            "assert 'torch' not in sys.modules, 'torch imported'\n")
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            env={**os.environ, "NEAT_PLUGINS_STRICT": "1"})
    assert result.returncode == 0, result.stderr


def test_an_entropy_model_with_hash_ngrams_trains_but_does_not_export(tmp_path, run_cli):
    assert load_config(base={"model": {"layout": "reference"}}).config.model.hash_ngrams
    config = load_config(base={"model": {"layout": "reference", "hidden_size": 16,
                                         "num_layers": 1, "num_heads": 2,
                                         "block_size": 16}}).config
    model = neat_core.get_registry().models["blt-entropy"].factory(config.model)
    train(model, steps=2, batch=2)
    save_checkpoint(tmp_path / "entropy", model, config)
    result = run_cli("export", str(tmp_path / "entropy"), "--output-dir", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    assert "has hash_ngrams [3, 4, 5], which transformers' BLT patcher does not have" \
        in result.stderr
    assert "--set model.hash_ngrams=[]" in result.stderr


def test_attention_window_limits_the_forward_and_the_cache_alike():
    config = load_config(base={"model": {"hidden_size": 16, "num_layers": 1, "num_heads": 2,
                                         "block_size": 16, "attention_window": 6,
                                         "hash_ngrams": []}}).config
    model = neat_core.get_registry().models["blt-entropy"].factory(config.model)
    with torch.no_grad():
        model.head.weight.mul_(50.0)  # entropies that vary
    data = TEXTS[0]
    cached = compute_entropies(model, data, cache=True)
    windowed = compute_entropies(model, data, cache=False, stride=1)
    assert torch.allclose(torch.from_numpy(cached), torch.from_numpy(windowed), atol=1e-5)
    # and the window matters: the whole context gives other entropies
    wide = neat_core.get_registry().models["blt-entropy"].factory(
        load_config(base={"model": {**to_dict(config.model), "attention_window": None}}
                    ).config.model)
    wide.load_state_dict(model.state_dict())
    assert not torch.allclose(torch.from_numpy(compute_entropies(wide, data, cache=False)),
                              torch.from_numpy(windowed), atol=1e-3)
