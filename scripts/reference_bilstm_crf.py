"""An independent BiLSTM-CRF in plain PyTorch: a cross-check of the baseline variant.

It shares no code with the Rust model: packed LSTMs from torch.nn, a textbook CRF
(forward algorithm and Viterbi as loops over time), conlleval-style chunking. Same
data (WeiboNER original release, named entities: .NOM -> O), same vectors and the
same hyper-parameters as `runner train --variant baseline`: dropout 0.3 on the
embeddings and before the tanh layer, d_h 120, Adam lr 1e-3, batch 20, clipping
at 5, Xavier weights, forget-gate bias 1. It prints dev P/R/F1 every epoch and,
at the end, the test score of the best dev epoch. About 20 s an epoch on one core.

    .venv/bin/python scripts/reference_bilstm_crf.py [--seed 1] [--epochs 40]

The data must have been fetched (`just fetch`). docs/issue3-investigation.md,
section 9, compares its numbers with the Rust baseline's.
"""
import argparse
import lzma
import math
import random
import time
import warnings

warnings.filterwarnings('ignore', message='Failed to initialize NumPy')
import torch  # noqa: E402
import torch.nn as nn  # noqa: E402


def read_weibo(path):
    """Sentences as (characters, tags); emoji lines are decoded leniently."""
    sentences, chars, tags = [], [], []
    for raw in open(path, 'rb'):
        line = raw.decode('utf-8', 'replace').rstrip('\n')
        if not line.strip():
            if chars:
                sentences.append((chars, tags))
            chars, tags = [], []
            continue
        fields = line.split('\t')
        tag = fields[-1].strip()
        if tag != 'O':
            bio, kind = tag.split('.')
            tag = 'O' if kind == 'NOM' else bio
        chars.append(fields[0][:1])
        tags.append(tag)
    if chars:
        sentences.append((chars, tags))
    return sentences


def read_vectors(path):
    opener = lzma.open if path.endswith('.xz') else open
    vectors = {}
    with opener(path, 'rt', encoding='utf-8', errors='replace') as f:
        f.readline()  # header
        for line in f:
            fields = line.rstrip().split(' ')
            if len(fields) > 10:
                vectors[fields[0]] = [float(x) for x in fields[1:]]
    return vectors


class Crf(nn.Module):
    """Linear-chain CRF with start and end scores (the paper's eq. 9-14)."""

    def __init__(self, tags):
        super().__init__()
        self.transitions = nn.Parameter(torch.empty(tags, tags).uniform_(-0.1, 0.1))
        self.start = nn.Parameter(torch.zeros(tags))
        self.end = nn.Parameter(torch.zeros(tags))

    def nll(self, scores, gold, mask):
        """Mean over the batch of log Z - score(gold); scores [B, T, tags]."""
        steps = scores.shape[1]
        path = self.start[gold[:, 0]] + scores[:, 0].gather(1, gold[:, :1]).squeeze(1)
        for t in range(1, steps):
            step = self.transitions[gold[:, t - 1], gold[:, t]]
            step = step + scores[:, t].gather(1, gold[:, t:t + 1]).squeeze(1)
            path = path + step * mask[:, t]
        last = gold.gather(1, (mask.sum(1) - 1).unsqueeze(1)).squeeze(1)
        path = path + self.end[last]
        alpha = self.start + scores[:, 0]
        for t in range(1, steps):
            nxt = torch.logsumexp(alpha.unsqueeze(2) + self.transitions + scores[:, t].unsqueeze(1), 1)
            alpha = torch.where(mask[:, t:t + 1], nxt, alpha)
        return (torch.logsumexp(alpha + self.end, 1) - path).mean()

    def decode(self, scores, mask):
        """Viterbi: the best tag sequence of each sentence."""
        alpha = self.start + scores[:, 0]
        backpointers = []
        for t in range(1, scores.shape[1]):
            best, index = (alpha.unsqueeze(2) + self.transitions).max(1)
            backpointers.append(index)
            alpha = torch.where(mask[:, t:t + 1], best + scores[:, t], alpha)
        alpha = alpha + self.end
        paths = []
        for b in range(scores.shape[0]):
            path = [int(alpha[b].argmax())]
            for t in range(int(mask[b].sum()) - 1, 0, -1):
                path.append(int(backpointers[t - 1][b, path[-1]]))
            paths.append(path[::-1])
        return paths


class BiLstmCrf(nn.Module):
    def __init__(self, embeddings, tags, hidden=120, dropout=0.3):
        super().__init__()
        dim = embeddings.shape[1]
        self.embedding = nn.Embedding.from_pretrained(embeddings, freeze=False, padding_idx=0)
        self.lstm = nn.LSTM(dim, hidden, batch_first=True, bidirectional=True)
        self.hidden = nn.Linear(2 * hidden, hidden)
        self.projection = nn.Linear(hidden, tags)
        self.dropout = nn.Dropout(dropout)
        self.crf = Crf(tags)
        weights = [w for name, w in self.lstm.named_parameters() if 'weight' in name]
        for w in [self.hidden.weight, self.projection.weight] + weights:
            nn.init.xavier_uniform_(w)
        for name, b in self.lstm.named_parameters():
            if 'bias' in name:
                nn.init.zeros_(b)
                b.data[hidden:2 * hidden] = 0.5  # two biases per gate: forget bias 1
        nn.init.zeros_(self.hidden.bias)
        nn.init.zeros_(self.projection.bias)

    def scores(self, ids, lengths):
        xs = self.dropout(self.embedding(ids))
        packed = nn.utils.rnn.pack_padded_sequence(xs, lengths, batch_first=True, enforce_sorted=False)
        hs, _ = self.lstm(packed)
        hs, _ = nn.utils.rnn.pad_packed_sequence(hs, batch_first=True, total_length=ids.shape[1])
        return self.projection(torch.tanh(self.hidden(self.dropout(hs))))


def to_tensors(batch, char_ids, tag_ids):
    steps = max(len(chars) for chars, _ in batch)
    ids = torch.zeros(len(batch), steps, dtype=torch.long)
    gold = torch.zeros_like(ids)
    for i, (chars, tags) in enumerate(batch):
        ids[i, :len(chars)] = torch.tensor([char_ids.get(c, 1) for c in chars])
        gold[i, :len(chars)] = torch.tensor([tag_ids.get(t, 0) for t in tags])
    lengths = torch.tensor([len(chars) for chars, _ in batch])
    return ids, gold, lengths, torch.arange(steps)[None] < lengths[:, None]


def chunks(tags):
    """conlleval's chunks: an I-X after O or another type starts a new one."""
    found, start, kind = set(), None, None
    for i, tag in enumerate(tags + ['O']):
        if tag == 'O' or tag.startswith('B-') or tag[2:] != kind:
            if kind is not None:
                found.add((start, i, kind))
            start, kind = (None, None) if tag == 'O' else (i, tag[2:])
    return found


def evaluate(model, data, char_ids, tag_ids, tags):
    model.eval()
    correct = predicted = gold_count = 0
    with torch.no_grad():
        for i in range(0, len(data), 100):
            batch = data[i:i + 100]
            ids, _, lengths, mask = to_tensors(batch, char_ids, tag_ids)
            paths = model.crf.decode(model.scores(ids, lengths), mask)
            for (_, gold), path in zip(batch, paths):
                g, p = chunks(gold), chunks([tags[k] for k in path])
                correct += len(g & p)
                predicted += len(p)
                gold_count += len(g)
    model.train()
    precision, recall = correct / max(predicted, 1), correct / max(gold_count, 1)
    f1 = 2 * precision * recall / max(precision + recall, 1e-9)
    return 100 * precision, 100 * recall, 100 * f1


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument('--seed', type=int, default=1)
    parser.add_argument('--epochs', type=int, default=40)
    parser.add_argument('--data', default='data/cache', help='the fetched data (ATNER_DATA_CACHE)')
    parser.add_argument('--vectors', default='embeddings/char_vec.txt.xz', help='path under --data')
    parser.add_argument('--threads', type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    random.seed(args.seed)
    torch.manual_seed(args.seed)

    train, dev, test = (read_weibo(f'{args.data}/weibo/weiboNER.conll.{s}') for s in ('train', 'dev', 'test'))
    vectors = read_vectors(f'{args.data}/{args.vectors}')
    dim = len(next(iter(vectors.values())))
    chars = ['<pad>', '<unk>'] + sorted({c for s, _ in train for c in s} | set(vectors))
    char_ids = {c: i for i, c in enumerate(chars)}
    tags = ['O'] + sorted({t for _, ts in train for t in ts} - {'O'})
    tag_ids = {t: i for i, t in enumerate(tags)}
    bound = math.sqrt(3 / dim)
    embeddings = torch.empty(len(chars), dim).uniform_(-bound, bound)
    for c, v in vectors.items():
        embeddings[char_ids[c]] = torch.tensor(v)
    embeddings[0] = 0

    model = BiLstmCrf(embeddings, len(tags))
    optimiser = torch.optim.Adam(model.parameters(), lr=1e-3)
    best = (-1.0, 0, None)
    for epoch in range(1, args.epochs + 1):
        start, order, total = time.time(), train[:], 0.0
        random.shuffle(order)
        for i in range(0, len(order), 20):
            ids, gold, lengths, mask = to_tensors(order[i:i + 20], char_ids, tag_ids)
            loss = model.crf.nll(model.scores(ids, lengths), gold, mask)
            optimiser.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 5.0)
            optimiser.step()
            total += loss.item()
        p, r, f1 = evaluate(model, dev, char_ids, tag_ids, tags)
        if f1 > best[0]:
            best = (f1, epoch, evaluate(model, test, char_ids, tag_ids, tags))
        batches = math.ceil(len(order) / 20)
        print(f'epoch {epoch:2d} loss {total / batches:.3f} dev P {p:.2f} R {r:.2f} F1 {f1:.2f} '
              f'({time.time() - start:.1f}s)', flush=True)
    f1, epoch, (tp, tr, tf) = best
    print(f'best dev F1 {f1:.2f} at epoch {epoch}; test at that epoch P/R/F1 {tp:.2f}/{tr:.2f}/{tf:.2f}')


if __name__ == '__main__':
    main()
