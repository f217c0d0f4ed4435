"""Offline skills the chatbot can carry out."""
