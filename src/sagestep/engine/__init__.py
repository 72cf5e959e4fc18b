"""sagestep.engine"""
