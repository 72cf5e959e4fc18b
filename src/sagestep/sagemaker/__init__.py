"""sagestep.sagemaker"""
