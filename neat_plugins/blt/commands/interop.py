"""``neat import`` and ``neat export``: released BLTs in and out of NEAT
(transformers' format; :mod:`..hf` does the work).

Light on purpose: transformers, torch and safetensors load inside the commands, so
``neat --help`` and ``neat plugins`` never import them.
"""

from __future__ import annotations

import click


@click.command("import")
@click.argument("source", type=click.Path(file_okay=False), metavar="SRC")
@click.option("--output-dir", required=True, type=click.Path(file_okay=False),
              help="The run directory to write (must not exist, or be empty).")
@click.option("--block-size", type=click.IntRange(min=2), default=None,
              help="Context in bytes of the imported models (model.block_size); default: "
                   "the folder's max_position_embeddings minus the BOS token.")
def import_command(source: str, output_dir: str, block_size: int | None) -> None:
    """Import a transformers BLT folder (config.json and model.safetensors, as
    save_pretrained writes them) into a NEAT run directory.

    The BLT becomes a model of layout 'reference' whose logits equal transformers'
    BltForCausalLM's, and its patcher a blt-entropy run of its own in
    OUTPUT_DIR/entropy-model; every command takes the run directory (eval, analyze,
    patch, generate, train --init-from, export). A folder of transformers' BltPatcher
    alone becomes a blt-entropy run. Entropy thresholds are converted from nats to bits;
    OUTPUT_DIR/import.json records the conversion. Needs the extra 'hf' (transformers).
    """
    from ..hf.importer import import_folder

    record = import_folder(source, output_dir, block_size)
    click.echo(f"imported {record['source']} into {output_dir}")
    if "patching_threshold" in record:
        threshold = record["patching_threshold"]
        click.echo(f"entropy threshold {threshold['nats']:.6g} nats = "
                   f"{threshold['bits']:.6g} bits; entropy model: {record['entropy_model']}")


@click.command("export")
@click.argument("checkpoint", type=click.Path(), metavar="CKPT")
@click.option("--format", "output_format", type=click.Choice(["transformers"]),
              default="transformers", show_default=True, help="The format to write.")
@click.option("--output-dir", required=True, type=click.Path(file_okay=False),
              help="The folder to write (must not exist, or be empty).")
def export_command(checkpoint: str, output_format: str, output_dir: str) -> None:
    """Export a reference-layout model (imported, or trained with
    --set model.layout=reference) for transformers.

    CKPT is a checkpoint or a run directory. A BLT loads with
    BltForCausalLM.from_pretrained(OUTPUT_DIR) (a generation_config is included), an
    entropy model with BltPatcher.from_pretrained(OUTPUT_DIR); OUTPUT_DIR/neat_export.json
    names the transformers versions it targets. Needs the extra 'hf' (transformers).
    """
    from ..hf.exporter import export_checkpoint

    record = export_checkpoint(checkpoint, output_dir, output_format)
    click.echo(f"exported {record['source']} to {output_dir} "
               f"(for transformers{record['targets'].removeprefix('transformers')})")
