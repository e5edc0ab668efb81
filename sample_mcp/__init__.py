"""sample_mcp"""
