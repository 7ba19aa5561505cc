# Modeled on HarshTrivedi/packing-unpacking-pytorch-minimal-tutorial (pad_packed_demo.py): vectorised
# sequences padded into a zeros((batch, max_len)).long() tensor by slice assignment, lengths sorted with
# sort(0, descending=True) and the batch permuted, Embedding -> pack_padded_sequence(batch_first=True) -> LSTM
# -> pad_packed_sequence, and ht[-1] as each sequence's summary; then the same pipeline as the usual classifier
# of variable-length sequences: a collate_fn building the batch with pad_sequence, pack_padded_sequence with
# enforce_sorted=False (lengths on the CPU), a 2-layer bidirectional LSTM whose final states of both directions
# are concatenated, pack_sequence / unsort checks, trained with Adam and cross_entropy. The data is generated:
# words of letters, the class says whether 'a' occurs more often than 'b'.
import random

import torch
import torch.nn as nn
import torch.nn.functional as F
from torch import LongTensor
from torch.nn import LSTM, Embedding
from torch.nn.utils.rnn import pack_padded_sequence, pack_sequence, pad_packed_sequence, pad_sequence

random.seed(0)
torch.manual_seed(0)

# --- the minimal tutorial ------------------------------------------------------------------------------
seqs = ['long_str', 'tiny', 'medium']

# make <pad> idx 0
vocab = ['<pad>'] + sorted(set([char for seq in seqs for char in seq]))

# make model
embed = Embedding(len(vocab), 4)  # embedding_dim = 4
lstm = LSTM(input_size=4, hidden_size=5, batch_first=True)  # input_dim = 4, hidden_dim = 5

# get the length of each seq in your batch
vectorized_seqs = [[vocab.index(tok) for tok in seq] for seq in seqs]
seq_lengths = LongTensor(list(map(len, vectorized_seqs)))
print(vectorized_seqs, seq_lengths)

# dump padding everywhere, and place seqs on the left.
seq_tensor = torch.zeros((len(vectorized_seqs), seq_lengths.max())).long()
for idx, (seq, seqlen) in enumerate(zip(vectorized_seqs, seq_lengths)):
    seq_tensor[idx, :seqlen] = LongTensor(seq)
print(seq_tensor)

# SORT YOUR TENSORS BY LENGTH!
seq_lengths, perm_idx = seq_lengths.sort(0, descending=True)
seq_tensor = seq_tensor[perm_idx]
print(seq_lengths, perm_idx)

# embed your sequences
embedded_seq_tensor = embed(seq_tensor)

# pack them up nicely
packed_input = pack_padded_sequence(embedded_seq_tensor, seq_lengths.cpu().numpy(), batch_first=True)
print(packed_input.data.shape, packed_input.batch_sizes)

# throw them through your LSTM (remember to give batch_first=True here if you packed with it)
packed_output, (ht, ct) = lstm(packed_input)

# unpack your output if required
output, input_sizes = pad_packed_sequence(packed_output, batch_first=True)
print(output.shape, input_sizes)
print(f"{output[1, 3:].abs().sum().item():.4f}", f"{output[2, 4:].abs().sum().item():.4f}")  # the padding

# Or if you just want the final hidden state?
print(ht[-1].shape, torch.allclose(ht[-1][2], output[2, 3]), torch.allclose(ht[-1][0], output[0, 7]))

# --- a classifier of variable-length sequences ----------------------------------------------------------
letters = "abcdefgh"
char_to_ix = {c: i + 1 for i, c in enumerate(letters)}  # 0 is the padding index


def make_example():
    word = "".join(random.choice(letters) for _ in range(random.randint(2, 12)))
    return word, int(word.count("a") > word.count("b"))


examples = [make_example() for _ in range(160)]
print(examples[:3], sum(label for _, label in examples))


class WordDataset(torch.utils.data.Dataset):
    def __init__(self, examples):
        self.examples = examples

    def __len__(self):
        return len(self.examples)

    def __getitem__(self, i):
        word, label = self.examples[i]
        return torch.tensor([char_to_ix[c] for c in word]), label


def collate(batch):
    seqs, labels = zip(*batch)
    lengths = torch.tensor([len(s) for s in seqs])
    return pad_sequence(seqs, batch_first=True, padding_value=0), lengths, torch.tensor(labels)


class LSTMClassifier(nn.Module):
    def __init__(self, vocab_size, embedding_dim, hidden_dim, num_classes, num_layers=2):
        super().__init__()
        self.embedding = nn.Embedding(vocab_size, embedding_dim, padding_idx=0)
        self.lstm = nn.LSTM(embedding_dim, hidden_dim, num_layers=num_layers, batch_first=True,
                            bidirectional=True, dropout=0.1)
        self.fc = nn.Linear(2 * hidden_dim, num_classes)

    def forward(self, x, lengths):
        embedded = self.embedding(x)
        packed = pack_padded_sequence(embedded, lengths.cpu(), batch_first=True, enforce_sorted=False)
        packed_output, (hidden, cell) = self.lstm(packed)
        # the last layer's final forward and backward states
        hidden = torch.cat((hidden[-2, :, :], hidden[-1, :, :]), dim=1)
        return self.fc(hidden), packed_output


train_set = WordDataset(examples[:128])
val_set = WordDataset(examples[128:])
train_loader = torch.utils.data.DataLoader(train_set, batch_size=16, shuffle=True, collate_fn=collate)
val_loader = torch.utils.data.DataLoader(val_set, batch_size=32, collate_fn=collate)

x, lengths, y = next(iter(train_loader))
print(x.shape, lengths[:6], y[:6])

model = LSTMClassifier(len(letters) + 1, 8, 16, 2)
optimizer = torch.optim.Adam(model.parameters(), lr=0.01)
logits, packed_output = model(x, lengths)
padded, out_lengths = pad_packed_sequence(packed_output, batch_first=True)
print(logits.shape, padded.shape, torch.equal(out_lengths, lengths), packed_output.sorted_indices[:6])
print(packed_output.unsorted_indices[:6], packed_output.batch_sizes[:4])

for epoch in range(8):
    model.train()
    total = 0.0
    for x, lengths, y in train_loader:
        optimizer.zero_grad()
        logits, _ = model(x, lengths)
        loss = F.cross_entropy(logits, y)
        loss.backward()
        nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        total += loss.item() * len(y)
    model.eval()
    correct = 0
    with torch.no_grad():
        for x, lengths, y in val_loader:
            logits, _ = model(x, lengths)
            correct += (logits.argmax(1) == y).sum().item()
    if epoch % 2 == 1:
        print(f"epoch {epoch + 1}: train loss {total / len(train_set):.3f}, val acc {correct}/{len(val_set)}")

# pack_sequence of the unsorted tensors gives the same result as packing the padded batch
words = [torch.tensor([char_to_ix[c] for c in w]) for w in ("abc", "hgfedcba", "ba")]
packed = pack_sequence([model.embedding(w) for w in words], enforce_sorted=False)
padded = model.embedding(pad_sequence(words, batch_first=True))
with torch.no_grad():
    out_a, (h_a, _) = model.lstm(packed)
    out_b, (h_b, _) = model.lstm(pack_padded_sequence(padded, torch.tensor([3, 8, 2]), batch_first=True,
                                                      enforce_sorted=False))
print(torch.allclose(h_a, h_b), h_a.shape, out_a.batch_sizes)
unpacked, unpacked_lengths = pad_packed_sequence(out_a, batch_first=False, total_length=10)
print(unpacked.shape, unpacked_lengths)
print(torch.round(model(pad_sequence(words, batch_first=True), torch.tensor([3, 8, 2]))[0].softmax(-1), decimals=2))
