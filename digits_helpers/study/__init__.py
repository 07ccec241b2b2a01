"""The study's numbers and words: each stage's record, evaluation, the repeated-split comparison,
library costs, narrative sentences and plots. Imports models, data and core; not reading."""
