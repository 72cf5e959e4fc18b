"""sagestep.asl"""
