"""Training and saving models: the scikit-learn searches and lean loop, the Keras MLP and sweep,
the MLP + shifts, CNN and SVC, saved models. Imports data and core; TensorFlow starts here."""
