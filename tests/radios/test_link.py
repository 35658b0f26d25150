"""A governance-sized payload over the whole link: Space Packet, segments in AX.25 UI frames, G3RUH FM
through the channel model with a fade that loses frames, then selective repeat until it is whole."""

import random

import numpy as np

from radios.ax25 import Frame
from radios.channel import ChannelConfig, ChannelModel
from radios.fm import G3ruhIqModulator, demodulate_iq
from radios.segmentation import MTU_AX25, Reassembler, SegmentSender, decode_message
from radios.spacepacket import CcsdsPacket

RATE = 240_000.0
GROUND, NODE = "GS1", "NODE7"


def over_the_air(frames: list[Frame], fade: tuple[float, float] | None, seed: int) -> list[Frame]:
    iq = G3ruhIqModulator(sample_rate_hz=RATE).modulate(frames)
    if fade is not None:  # a deep fade over part of the transmission
        iq[int(fade[0] * iq.size) : int(fade[1] * iq.size)] = 0
    channel = ChannelModel(ChannelConfig(sample_rate_hz=RATE, ebn0_db=16.0, bit_rate_bps=9600.0, seed=seed,
                                         carrier_offset_hz=9_000.0, doppler_rate_hz_s=-200.0))
    pad = np.zeros(int(RATE * 0.05), np.complex64)
    received = np.concatenate([channel.process(np.concatenate((pad, iq, pad))), channel.flush()])
    return [f.frame() for f in demodulate_iq(received, RATE)]


def test_lost_frames_are_requested_and_resent_until_the_packet_is_whole():
    governance = random.Random(1).randbytes(3_300)
    packet = CcsdsPacket(apid=0x60, seq_count=42, data=governance).pack()
    sender, receiver = SegmentSender(MTU_AX25), Reassembler(request_delay_s=1.0)
    _, segments = sender.send(packet, channel=0)
    frames = [Frame.ui(GROUND, NODE, s) for s in segments]
    assert all(len(f.info) <= 256 for f in frames)

    heard = over_the_air(frames, fade=(0.40, 0.55), seed=1)
    lost = len(frames) - len(heard)
    assert lost >= 1
    done = [receiver.receive(f.info, now_s=10.0) for f in heard]
    assert not any(done)

    (request,) = receiver.requests(now_s=12.0)
    assert len(request.indices()) == lost
    reply = over_the_air([Frame.ui(NODE, GROUND, request.encode())], fade=None, seed=2)
    resent = sender.answer(decode_message(reply[0].info))
    assert sorted(decode_message(r).index for r in resent) == request.indices()

    heard_again = over_the_air([Frame.ui(GROUND, NODE, r) for r in resent], fade=None, seed=3)
    results = [receiver.receive(f.info, now_s=14.0) for f in heard_again]
    whole = [r for r in results if r is not None]
    assert len(whole) == 1
    assert CcsdsPacket.unpack(whole[0].payload) == CcsdsPacket(0x60, 42, governance)
    (ack,) = receiver.requests(now_s=14.0)
    assert ack.is_ack
