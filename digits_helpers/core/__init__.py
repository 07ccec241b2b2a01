"""The vocabulary and the plumbing every layer shares: stage and model names, number formats,
files written all or nothing, progress lines, where parallel work runs. Imports nothing above."""
