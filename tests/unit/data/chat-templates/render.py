#!/usr/bin/env python3
"""Renders the chat templates of this folder with Jinja2 the way Hugging
Face's apply_chat_template does (sandboxed environment, trim_blocks,
lstrip_blocks, raise_exception), giving the reference outputs the C
renderer (inference/llm/chat-template.c) is tested against.

    render.py          rewrite the expected/*.txt files
    render.py --check  compare them (exit 1 on a difference, 77 = skip
                       when Jinja2 is missing)

Conventions applied to Jinja's output, as chat-template.h documents:
- a leading BOS text is removed (the tokenizer adds BOS per add_bos);
- templates without a system role (listed in NO_SYSTEM) get the system
  text prepended to the first user message with a blank line.
"""
import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))

# template file -> (bos_token, eos_token)
TOKENS = {
    'chatml-openhermes': ('<s>', '<|im_end|>'),
    'qwen2-instruct': ('', '<|im_end|>'),
    'qwen2.5-instruct': ('', '<|im_end|>'),
    'llama2-chat': ('<s>', '</s>'),
    'llama3-instruct': ('<|begin_of_text|>', '<|eot_id|>'),
    'mistral-legacy': ('<s>', '</s>'),
    'mistral-v1': ('<s>', '</s>'),
    'mistral-v3': ('<s>', '</s>'),
    'zephyr': ('<s>', '</s>'),
    'phi3.5-mini': ('<s>', '<|endoftext|>'),
    'phi3-mini-4k-2404': ('<s>', '<|endoftext|>'),
}
NO_SYSTEM = {'mistral-legacy', 'phi3-mini-4k-2404'}

SYSTEM = {'role': 'system', 'content': 'You are a helpful assistant'}
CONVERSATIONS = {
    # system, user, assistant (with spaces the trimming templates remove),
    # user, generation prompt
    'full': ([SYSTEM,
              {'role': 'user', 'content': 'Hello'},
              {'role': 'assistant', 'content': ' Hi there! '},
              {'role': 'user', 'content': 'Who are you?'}], True),
    'nosys': ([{'role': 'user', 'content': 'Hello'},
               {'role': 'assistant', 'content': 'Hi there'},
               {'role': 'user', 'content': 'Who are you?'}], True),
    'nogen': ([SYSTEM, {'role': 'user', 'content': 'Hello'}], False),
}


def render(name, messages, add_generation_prompt):
    from jinja2.sandbox import ImmutableSandboxedEnvironment
    from jinja2.exceptions import TemplateError

    def raise_exception(message):
        raise TemplateError(message)

    env = ImmutableSandboxedEnvironment(trim_blocks=True, lstrip_blocks=True)
    env.globals['raise_exception'] = raise_exception
    with open(os.path.join(HERE, name + '.jinja'), encoding='utf-8') as f:
        template = env.from_string(f.read())
    bos, eos = TOKENS[name]
    if name in NO_SYSTEM and messages and messages[0]['role'] == 'system':
        rest = [dict(m) for m in messages[1:]]
        rest[0]['content'] = messages[0]['content'] + '\n\n' + rest[0]['content']
        messages = rest
    text = template.render(messages=messages, bos_token=bos, eos_token=eos,
                           add_generation_prompt=add_generation_prompt)
    if bos and text.startswith(bos):
        text = text[len(bos):]
    return text


def main():
    check = '--check' in sys.argv[1:]
    try:
        import jinja2  # noqa: F401
    except ImportError:
        print('1..0 # SKIP python3-jinja2 is not installed')
        return 77 if check else 1
    out_dir = os.path.join(HERE, 'expected')
    os.makedirs(out_dir, exist_ok=True)
    failed = 0
    n = 0
    if check:
        print('1..%d' % (len(TOKENS) * len(CONVERSATIONS)))
    for name in sorted(TOKENS):
        for conv, (messages, gen) in sorted(CONVERSATIONS.items()):
            n += 1
            text = render(name, messages, gen)
            path = os.path.join(out_dir, '%s.%s.txt' % (name, conv))
            if check:
                with open(path, encoding='utf-8', newline='') as f:
                    ok = f.read() == text
                print('%s %d %s.%s' % ('ok' if ok else 'not ok', n, name, conv))
                failed += not ok
            else:
                with open(path, 'w', encoding='utf-8', newline='') as f:
                    f.write(text)
    return 1 if failed else 0


if __name__ == '__main__':
    sys.exit(main())
