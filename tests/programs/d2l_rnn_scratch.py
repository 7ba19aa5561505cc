# Modeled on d2l-ai/d2l-en chapter_recurrent-neural-networks/rnn-scratch.md and rnn-concise.md, with
# chapter_recurrent-modern/gru.md and lstm.md (the PyTorch tabs): RNNScratch (nn.Parameter weights from
# torch.randn * sigma, torch.tanh over torch.matmul, state unpacked with `state, = state`), RNNLMScratch
# (F.one_hot of X.T cast with .type(torch.float32), torch.stack of the outputs, d2l's clip_gradients by the global
# norm through param.grad[:] *= ..., perplexity torch.exp(loss), prediction via argmax(axis=2)), GRUScratch and
# LSTMScratch (torch.sigmoid gates), and the concise RNNLM over nn.RNN with nn.LazyLinear and .swapaxes(0, 1).
# The Time Machine is replaced by tests/programs/_tiny_text.py and d2l's Trainer by a plain SGD loop.
import math

import torch
from _tiny_text import TEXT
from torch import nn
from torch.nn import functional as F

torch.manual_seed(0)


class Vocab:
    """Vocabulary for text (characters here)."""
    def __init__(self, tokens=[], min_freq=0, reserved_tokens=[]):  # noqa: B006  (d2l's signature)
        counter = {}
        for token in tokens:
            counter[token] = counter.get(token, 0) + 1
        self.token_freqs = sorted(counter.items(), key=lambda x: x[1], reverse=True)
        self.idx_to_token = list(sorted(set(['<unk>'] + reserved_tokens + [
            token for token, freq in self.token_freqs if freq >= min_freq])))
        self.token_to_idx = {token: idx for idx, token in enumerate(self.idx_to_token)}

    def __len__(self):
        return len(self.idx_to_token)

    def __getitem__(self, tokens):
        if not isinstance(tokens, (list, tuple)):
            return self.token_to_idx.get(tokens, self.unk)
        return [self.__getitem__(token) for token in tokens]

    @property
    def unk(self):
        return self.token_to_idx['<unk>']


text = TEXT.lower()
vocab = Vocab(list(text))
corpus = [vocab[token] for token in text]
num_steps, batch_size = 12, 32
array = torch.tensor([corpus[i:i + num_steps + 1] for i in range(len(corpus) - num_steps)])
X_all, Y_all = array[:, :-1], array[:, 1:]
print(len(vocab), X_all.shape, Y_all.shape)


class RNNScratch(nn.Module):
    """The RNN model implemented from scratch."""
    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens, self.sigma = num_inputs, num_hiddens, sigma
        self.W_xh = nn.Parameter(torch.randn(num_inputs, num_hiddens) * sigma)
        self.W_hh = nn.Parameter(torch.randn(num_hiddens, num_hiddens) * sigma)
        self.b_h = nn.Parameter(torch.zeros(num_hiddens))

    def forward(self, inputs, state=None):
        if state is None:
            # Initial state with shape: (batch_size, num_hiddens)
            state = torch.zeros((inputs.shape[1], self.num_hiddens), device=inputs.device)
        else:
            state, = state
        outputs = []
        for X in inputs:  # Shape of inputs: (num_steps, batch_size, num_inputs)
            state = torch.tanh(torch.matmul(X, self.W_xh) + torch.matmul(state, self.W_hh) + self.b_h)
            outputs.append(state)
        return outputs, state


rnn = RNNScratch(num_inputs=16, num_hiddens=32)
X = torch.ones((num_steps, batch_size, 16))
outputs, state = rnn(X)
print(len(outputs), outputs[0].shape, state.shape)


class GRUScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens, self.sigma = num_inputs, num_hiddens, sigma

        def init_weight(*shape):
            return nn.Parameter(torch.randn(*shape) * sigma)

        def triple():
            return (init_weight(num_inputs, num_hiddens), init_weight(num_hiddens, num_hiddens),
                    nn.Parameter(torch.zeros(num_hiddens)))

        self.W_xz, self.W_hz, self.b_z = triple()  # Update gate
        self.W_xr, self.W_hr, self.b_r = triple()  # Reset gate
        self.W_xh, self.W_hh, self.b_h = triple()  # Candidate hidden state

    def forward(self, inputs, H=None):
        if H is None:
            # Initial state with shape: (batch_size, num_hiddens)
            H = torch.zeros((inputs.shape[1], self.num_hiddens), device=inputs.device)
        outputs = []
        for X in inputs:
            Z = torch.sigmoid(torch.matmul(X, self.W_xz) + torch.matmul(H, self.W_hz) + self.b_z)
            R = torch.sigmoid(torch.matmul(X, self.W_xr) + torch.matmul(H, self.W_hr) + self.b_r)
            H_tilde = torch.tanh(torch.matmul(X, self.W_xh) + torch.matmul(R * H, self.W_hh) + self.b_h)
            H = Z * H + (1 - Z) * H_tilde
            outputs.append(H)
        return outputs, H


class LSTMScratch(nn.Module):
    def __init__(self, num_inputs, num_hiddens, sigma=0.01):
        super().__init__()
        self.num_inputs, self.num_hiddens, self.sigma = num_inputs, num_hiddens, sigma

        def init_weight(*shape):
            return nn.Parameter(torch.randn(*shape) * sigma)

        def triple():
            return (init_weight(num_inputs, num_hiddens), init_weight(num_hiddens, num_hiddens),
                    nn.Parameter(torch.zeros(num_hiddens)))

        self.W_xi, self.W_hi, self.b_i = triple()  # Input gate
        self.W_xf, self.W_hf, self.b_f = triple()  # Forget gate
        self.W_xo, self.W_ho, self.b_o = triple()  # Output gate
        self.W_xc, self.W_hc, self.b_c = triple()  # Input node

    def forward(self, inputs, H_C=None):
        if H_C is None:
            # Initial state with shape: (batch_size, num_hiddens)
            H = torch.zeros((inputs.shape[1], self.num_hiddens), device=inputs.device)
            C = torch.zeros((inputs.shape[1], self.num_hiddens), device=inputs.device)
        else:
            H, C = H_C
        outputs = []
        for X in inputs:
            I = torch.sigmoid(torch.matmul(X, self.W_xi) + torch.matmul(H, self.W_hi) + self.b_i)  # noqa: E741
            F = torch.sigmoid(torch.matmul(X, self.W_xf) + torch.matmul(H, self.W_hf) + self.b_f)
            O = torch.sigmoid(torch.matmul(X, self.W_xo) + torch.matmul(H, self.W_ho) + self.b_o)  # noqa: E741
            C_tilde = torch.tanh(torch.matmul(X, self.W_xc) + torch.matmul(H, self.W_hc) + self.b_c)
            C = F * C + I * C_tilde
            H = O * torch.tanh(C)
            outputs.append(H)
        return outputs, (H, C)


class RNNLMScratch(nn.Module):
    """The RNN-based language model implemented from scratch."""
    def __init__(self, rnn, vocab_size, lr=0.01):
        super().__init__()
        self.rnn, self.vocab_size, self.lr = rnn, vocab_size, lr
        self.init_params()

    def init_params(self):
        self.W_hq = nn.Parameter(torch.randn(self.rnn.num_hiddens, self.vocab_size) * self.rnn.sigma)
        self.b_q = nn.Parameter(torch.zeros(self.vocab_size))

    def loss(self, Y_hat, Y, averaged=True):
        Y_hat = Y_hat.reshape((-1, Y_hat.shape[-1]))
        Y = Y.reshape((-1,))
        return F.cross_entropy(Y_hat, Y, reduction='mean' if averaged else 'none')

    def one_hot(self, X):
        # Output shape: (num_steps, batch_size, vocab_size)
        return F.one_hot(X.T, self.vocab_size).type(torch.float32)

    def output_layer(self, rnn_outputs):
        outputs = [torch.matmul(H, self.W_hq) + self.b_q for H in rnn_outputs]
        return torch.stack(outputs, 1)

    def forward(self, X, state=None):
        embs = self.one_hot(X)
        rnn_outputs, _ = self.rnn(embs, state)
        return self.output_layer(rnn_outputs)

    def clip_gradients(self, grad_clip_val, model):
        params = [p for p in model.parameters() if p.requires_grad]
        norm = torch.sqrt(sum(torch.sum((p.grad ** 2)) for p in params))
        if norm > grad_clip_val:
            for param in params:
                param.grad[:] *= grad_clip_val / norm

    def predict(self, prefix, num_preds, vocab, device=None):
        state, outputs = None, [vocab[prefix[0]]]
        for i in range(len(prefix) + num_preds - 1):
            X = torch.tensor([[outputs[-1]]], device=device)
            embs = self.one_hot(X)
            rnn_outputs, state = self.rnn(embs, state)
            if i < len(prefix) - 1:  # Warm-up period
                outputs.append(vocab[prefix[i + 1]])
            else:  # Predict num_preds steps
                Y = self.output_layer(rnn_outputs)
                outputs.append(int(Y.argmax(axis=2).reshape(1)))
        return ''.join([vocab.idx_to_token[i] for i in outputs])


num_inputs = len(vocab)
rnn = RNNScratch(num_inputs=num_inputs, num_hiddens=32)
model = RNNLMScratch(rnn, num_inputs)
outputs = model(torch.ones((batch_size, num_steps), dtype=torch.int64))
print(outputs.shape)


def fit(model, epochs, lr, gradient_clip_val=1, name=None):
    """d2l's Trainer.fit reduced to its loop: shuffled minibatches, SGD, clipping, train/val perplexity."""
    optimizer = torch.optim.SGD(model.parameters(), lr=lr)
    n_train = int(len(X_all) * 0.8)
    train_set = torch.utils.data.TensorDataset(X_all[:n_train], Y_all[:n_train])
    loader = torch.utils.data.DataLoader(train_set, batch_size, shuffle=True)
    for epoch in range(epochs):
        model.train()
        for X, Y in loader:
            l = model.loss(model(X), Y)
            optimizer.zero_grad()
            l.backward()
            model.clip_gradients(gradient_clip_val, model)
            optimizer.step()
        if (epoch + 1) % 5 == 0:
            model.eval()
            with torch.no_grad():
                train_ppl = torch.exp(model.loss(model(X_all[:n_train]), Y_all[:n_train]))
                val_ppl = math.exp(model.loss(model(X_all[n_train:]), Y_all[n_train:]).item())
            # 3 digits: at d2l's lr=4 float32 rounding differences grow to the 4th digit over the epochs
            print(f"{name} epoch {epoch + 1}: train ppl {train_ppl:.3g}, val ppl {val_ppl:.3g}")


fit(model, epochs=20, lr=1, name="RNNScratch")
print(model.predict('it has', 20, vocab))

for Scratch in (GRUScratch, LSTMScratch):
    model = RNNLMScratch(Scratch(num_inputs=len(vocab), num_hiddens=32), vocab_size=len(vocab), lr=4)
    fit(model, epochs=10, lr=4, name=Scratch.__name__)
    print(model.predict('first', 20, vocab))


class RNN(nn.Module):
    """The RNN model implemented with high-level APIs."""
    def __init__(self, num_inputs, num_hiddens):
        super().__init__()
        self.num_inputs, self.num_hiddens = num_inputs, num_hiddens
        self.rnn = nn.RNN(num_inputs, num_hiddens)

    def forward(self, inputs, H=None):
        return self.rnn(inputs, H)


class RNNLM(RNNLMScratch):
    """The RNN-based language model implemented with high-level APIs."""
    def init_params(self):
        self.linear = nn.LazyLinear(self.vocab_size)

    def output_layer(self, hiddens):
        return self.linear(hiddens).swapaxes(0, 1)


rnn = RNN(num_inputs=len(vocab), num_hiddens=32)
model = RNNLM(rnn, vocab_size=len(vocab), lr=1)
print(model.predict('it has', 20, vocab))
fit(model, epochs=10, lr=1, name="RNNLM")
print(model.predict('it has', 20, vocab))
print([name for name, _ in model.named_parameters()])
