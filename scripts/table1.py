"""Table 1: MAE of each method's scores to the GT models' at corresponding alpha; perplexity and dist-n."""
from lminterp import specs as S
from lminterp.runtime import job_setup
from lminterp.summaries import ResultFiles, table1_inputs
from lminterp.tables import table1, write_table

job_setup(snakemake.log[0], torch_needed=False)
cfg = snakemake.params.single
attributes = list(cfg["attributes"])
mae_rows, quality_rows = table1_inputs(
    ResultFiles(snakemake.input.scores, snakemake.input.generations, snakemake.input.perplexity), S.single_attribute_specs(cfg), attributes)
df = table1(mae_rows, quality_rows, attributes)
write_table(df, snakemake.output.csv, snakemake.output.md, snakemake.output.tex,
            caption="Attribute-score MAE to the fine-tuned (GT) models at corresponding alpha, perplexity on the "
                    "perplexity corpus and dist-n diversity, averaged over the alpha grid.",
            label="tab:table1")
print(df.to_string())
