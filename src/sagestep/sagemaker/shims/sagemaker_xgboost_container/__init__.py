"""sagestep's stand-in for the XGBoost image's helper package (encoder, data_utils)."""
