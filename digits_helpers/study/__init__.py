"""The study's numbers and words: each stage's record, honest evaluation, the repeated-split
comparison, library costs, narrative sentences and plots. Imports models, data and core."""
