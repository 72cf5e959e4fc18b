"""sagestep.triggers"""
