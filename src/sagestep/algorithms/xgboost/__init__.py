"""The built-in XGBoost algorithm (algorithm mode of sagemaker-xgboost-container), run locally."""
