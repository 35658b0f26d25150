"""The air link between two radios and the packet modem over any radio: frames go through the real
IQ modem and the channel model the path asks for, or nowhere when there is no path."""

from __future__ import annotations

import random

import pytest

from radios.airlink import AirLink
from radios.ax25 import Frame
from radios.channel import ChannelConfig
from radios.errors import DeviceConfigError, DeviceError
from radios.loopback import LoopbackRadio
from radios.packet_modem import PacketModem
from radios.sdr import RadioSettings

RATE_HZ = 96_000.0
CARRIER_HZ = 435e6
BIT_RATE = 9600.0
# M2M4 over one ~70-byte frame (~5,000 samples) at these Eb/N0: the estimate's spread is ~0.3 dB.
EBN0_TOLERANCE_DB = 1.0
WAIT_S = 5.0


class FixedPath:
    """A path with one channel for every pair, recording what it was asked."""

    def __init__(self, config: ChannelConfig | None) -> None:
        self.config = config
        self.asked: list[tuple[str, str, float, float]] = []

    def channel(self, transmitter, receiver, tx_frequency_hz, rx_frequency_hz, sample_rate_hz):
        self.asked.append((transmitter, receiver, tx_frequency_hz, rx_frequency_hz))
        return self.config


def frames(count: int, size: int = 60, seed: int = 1) -> list[Frame]:
    rng = random.Random(seed)
    return [Frame.ui("GS1", "NODE7", rng.randbytes(size)) for _ in range(count)]


def pair(path) -> tuple[PacketModem, PacketModem, AirLink]:
    link = AirLink(path)
    ground = link.radio("ground", RadioSettings(RATE_HZ, CARRIER_HZ))
    node = link.radio("node", RadioSettings(RATE_HZ, CARRIER_HZ))
    for radio in (ground, node):
        radio.open()
        radio.start_rx()
    return PacketModem(ground), PacketModem(node), link


def channel(ebn0_db: float, seed: int = 3, offset_hz: float = 2_500.0) -> ChannelConfig:
    return ChannelConfig(sample_rate_hz=RATE_HZ, ebn0_db=ebn0_db, bit_rate_bps=BIT_RATE, seed=seed,
                         carrier_offset_hz=offset_hz, doppler_rate_hz_s=-120.0)


def test_a_burst_reaches_the_other_radio_through_the_channel_and_only_it():
    path = FixedPath(channel(18.0))
    ground, node, link = pair(path)
    sent = frames(3)
    air_s = ground.send(sent)
    assert air_s > 3 * 60 * 8 / BIT_RATE
    heard = node.receive()
    assert [r.frame for r in heard] == sent
    assert ground.receive() == []  # the sender does not hear itself
    assert path.asked == [("ground", "node", CARRIER_HZ, CARRIER_HZ)]
    assert link.deliveries == 1
    assert node.receive() == []  # each burst is read once


def test_no_path_means_nothing_arrives_not_even_noise():
    ground, node, link = pair(FixedPath(None))
    ground.send(frames(2))
    assert node.radio.read(1 << 20).iq.size == 0
    assert link.blocked == 1


def test_a_radio_that_is_not_listening_hears_nothing():
    link = AirLink(FixedPath(channel(18.0)))
    ground = link.radio("ground", RadioSettings(RATE_HZ, CARRIER_HZ))
    node = link.radio("node", RadioSettings(RATE_HZ, CARRIER_HZ))
    ground.open()
    node.open()  # RX not started
    PacketModem(ground).send(frames(1))
    assert node.read(1 << 20).iq.size == 0
    assert link.deliveries == 0


def test_the_path_sees_the_tuned_frequencies():
    path = FixedPath(channel(18.0))
    ground, node, _ = pair(path)
    ground.radio.tune_tx(CARRIER_HZ + 7_000.0)
    node.radio.tune(CARRIER_HZ - 1_000.0)
    ground.send(frames(1))
    assert path.asked[-1] == ("ground", "node", CARRIER_HZ + 7_000.0, CARRIER_HZ - 1_000.0)


@pytest.mark.parametrize("ebn0_db", [12.0, 16.0, 22.0])
def test_the_ebn0_estimate_matches_the_channel(ebn0_db):
    ground, node, _ = pair(FixedPath(channel(ebn0_db, seed=int(ebn0_db))))
    ground.send(frames(4, size=120))
    heard = node.receive()
    assert len(heard) == 4
    for item in heard:
        assert item.ebn0_db == pytest.approx(ebn0_db, abs=EBN0_TOLERANCE_DB)


def test_far_below_threshold_no_frame_passes_its_fcs():
    ground, node, _ = pair(FixedPath(channel(3.0)))
    ground.send(frames(4))
    assert node.receive() == []


def test_radios_of_different_sample_rates_cannot_share_the_air():
    link = AirLink(FixedPath(channel(18.0)))
    a = link.radio("a", RadioSettings(RATE_HZ, CARRIER_HZ))
    b = link.radio("b", RadioSettings(2 * RATE_HZ, CARRIER_HZ))
    a.open()
    b.open()
    b.start_rx()
    with pytest.raises(DeviceConfigError, match="96000 Hz"):
        a.transmit([0j] * 10)
    with pytest.raises(DeviceConfigError, match="already exists"):
        link.radio("a", RadioSettings(RATE_HZ, CARRIER_HZ))


def test_transmitting_on_a_closed_radio_fails_clearly():
    link = AirLink(FixedPath(None))
    radio = link.radio("a", RadioSettings(RATE_HZ, CARRIER_HZ))
    with pytest.raises(DeviceError, match="not open"):
        radio.transmit([0j])


def test_streaming_mode_over_the_threaded_loopback_radio():
    radio = LoopbackRadio(RadioSettings(RATE_HZ, CARRIER_HZ), channel(18.0), block_samples=4096)
    radio.open()
    radio.start_rx()
    try:
        modem = PacketModem(radio, streaming=True)
        sent = frames(3, size=100, seed=5)
        modem.send(sent)
        assert radio.wait_tx_done(WAIT_S)
        heard = modem.receive() + modem.flush()
    finally:
        radio.close()
    assert [r.frame for r in heard] == sent
    assert all(r.ebn0_db == pytest.approx(18.0, abs=EBN0_TOLERANCE_DB) for r in heard)


def test_fixed_length_bursts_depend_on_frame_sizes_not_bits():
    ground, node, _ = pair(FixedPath(channel(18.0)))
    fixed = PacketModem(ground.radio, fixed_length=True)
    stuffed = [Frame.ui("GS1", "NODE7", b"\xff" * 200)]  # ones: a stuffed bit every five
    plain = [Frame.ui("GS1", "NODE7", b"\x00" * 200)]  # zeros: nothing to stuff
    assert ground.modulate(stuffed).size > ground.modulate(plain).size
    assert fixed.send(stuffed) == fixed.send(plain)
    assert fixed.send(stuffed) * RATE_HZ == fixed.max_burst_samples(stuffed) >= ground.modulate(stuffed).size
    assert [r.frame for r in node.receive()] == stuffed + plain + stuffed
