"""Text models at run time: tokenizers, chatbot, autocomplete."""
