"""sagestep.serving"""
