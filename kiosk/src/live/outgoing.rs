//! What the senior does, as protocol messages: each effect meant for the hub becomes one
//! body. Pure; `live` gives it an id and puts it in the outbox.

use crate::state::Effect;
use nabij_protocol::{
    Body, ChoiceId, DiaryAnswer, HelpRequest, PersonId, Receipt, ReceiptState, Recipient, Rsvp,
    RsvpAnswer, Share, TextMessage, VoiceNote,
};

/// What an effect means for the hub.
#[derive(Debug, Clone, PartialEq)]
pub enum Outgoing {
    /// A message to send; a chat message is shown in the conversation with `shown_with`.
    Message {
        /// The message.
        body: Body,
        /// The conversation partner it is shown with, for chat messages.
        shown_with: Option<PersonId>,
    },
    /// A chat message that cannot be sent (a voice note whose recording is missing): it is
    /// shown with `shown_with` as "Not sent".
    Unsendable {
        /// The conversation partner.
        shown_with: PersonId,
    },
    /// Not for the hub (sound, screen settings).
    Local,
}

/// The diary answer's "who may read it".
pub fn share(share_with_group: bool) -> Share {
    if share_with_group {
        Share::MyGroup
    } else {
        Share::OnlyMe
    }
}

/// The message an effect sends, if it sends one.
pub fn message_for(effect: &Effect) -> Outgoing {
    let chat = |to: &PersonId, body| Outgoing::Message {
        body,
        shown_with: Some(to.clone()),
    };
    let plain = |body| Outgoing::Message {
        body,
        shown_with: None,
    };
    match effect {
        Effect::SendText { to, text } => chat(
            to,
            Body::Text(TextMessage {
                to: Recipient::Person(to.clone()),
                author: None,
                text: text.clone(),
            }),
        ),
        Effect::SendVoice {
            to,
            audio: Some(audio),
        } => chat(
            to,
            Body::Voice(VoiceNote {
                to: Recipient::Person(to.clone()),
                author: None,
                audio: (**audio).clone(),
            }),
        ),
        Effect::SendVoice { to, audio: None } => Outgoing::Unsendable {
            shown_with: to.clone(),
        },
        Effect::SendDiary {
            prompt,
            choices,
            people,
            text,
            with_voice: _,
            voice,
            share_with_group,
        } => plain(Body::DiaryAnswer(DiaryAnswer {
            prompt_id: prompt.clone(),
            choices: choices
                .iter()
                .filter_map(|c| ChoiceId::parse(c).ok())
                .collect(),
            people: people.clone(),
            text: text.clone(),
            voice: voice.as_deref().cloned(),
            share: share(*share_with_group),
        })),
        Effect::Rsvp { session, coming } => plain(Body::Rsvp(Rsvp {
            session_id: session.clone(),
            answer: if *coming {
                RsvpAnswer::Coming
            } else {
                RsvpAnswer::NotComing
            },
        })),
        Effect::AskHelp => plain(Body::HelpRequest(HelpRequest { note: None })),
        Effect::CheckIn(mood) => plain(Body::CheckIn(nabij_protocol::CheckIn { mood: *mood })),
        Effect::SendSurvey { survey, answers } => plain(Body::QuestionnaireAnswer(
            nabij_protocol::QuestionnaireAnswer {
                survey_id: survey.clone(),
                answers: answers
                    .iter()
                    .map(|(item, choice)| nabij_protocol::ItemAnswer {
                        item: item.clone(),
                        choice: choice.clone(),
                    })
                    .collect(),
            },
        )),
        Effect::SendSeen { ids } => plain(Body::Receipt(Receipt {
            ids: ids.clone(),
            state: ReceiptState::Seen,
            by: None,
        })),
        Effect::Chime
        | Effect::StartRecording
        | Effect::StopRecording
        | Effect::PlayRecording
        | Effect::PlayClip(_)
        | Effect::ReadAloud { .. }
        | Effect::StopSound
        | Effect::SetVolume(_)
        | Effect::SetBrightness(_)
        | Effect::SaveSettings
        | Effect::SaveCoachLock
        | Effect::EraseTablet
        | Effect::WifiScan
        | Effect::WifiJoin { .. }
        | Effect::WifiCheckHub => Outgoing::Local,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use nabij_protocol::{MessageId, PromptId, SessionId};

    #[test]
    fn each_hub_effect_is_one_message_and_the_rest_stays_on_the_tablet() {
        let anna = PersonId::parse("p-anna").unwrap();
        let Outgoing::Message { body, shown_with } = message_for(&Effect::SendText {
            to: anna.clone(),
            text: "Dag".into(),
        }) else {
            panic!("a text is sent")
        };
        assert_eq!(shown_with, Some(anna.clone()));
        assert!(
            matches!(body, Body::Text(t) if t.to == Recipient::Person(anna.clone()) && t.author.is_none())
        );

        let diary = message_for(&Effect::SendDiary {
            prompt: PromptId::parse("q-week-02").unwrap(),
            choices: vec!["family".into(), "not an id!".into()],
            people: vec![anna.clone()],
            text: None,
            with_voice: false,
            voice: None,
            share_with_group: true,
        });
        let Outgoing::Message {
            body: Body::DiaryAnswer(answer),
            shown_with: None,
        } = diary
        else {
            panic!("a diary answer is sent: {diary:?}")
        };
        assert_eq!(answer.choices.len(), 1, "only valid choice ids go");
        assert_eq!(answer.people, std::slice::from_ref(&anna));
        assert_eq!(answer.share, Share::MyGroup);

        let rsvp = message_for(&Effect::Rsvp {
            session: SessionId::parse("s-oost-w04").unwrap(),
            coming: false,
        });
        assert!(
            matches!(rsvp, Outgoing::Message { body: Body::Rsvp(r), .. } if r.answer == RsvpAnswer::NotComing)
        );
        let check_in = message_for(&Effect::CheckIn(nabij_protocol::Mood::NotGood));
        assert!(
            matches!(check_in, Outgoing::Message { body: Body::CheckIn(c), .. } if c.mood == nabij_protocol::Mood::NotGood)
        );
        let seen = message_for(&Effect::SendSeen {
            ids: vec![MessageId::parse("hub-msg-01").unwrap()],
        });
        assert!(
            matches!(seen, Outgoing::Message { body: Body::Receipt(r), .. } if r.state == ReceiptState::Seen)
        );
        assert_eq!(
            message_for(&Effect::SendVoice {
                to: anna.clone(),
                audio: None
            }),
            Outgoing::Unsendable { shown_with: anna }
        );
        let survey = message_for(&Effect::SendSurvey {
            survey: nabij_protocol::SurveyId::parse("v-dejong6-end").unwrap(),
            answers: vec![(
                ChoiceId::parse("e1").unwrap(),
                ChoiceId::parse("no").unwrap(),
            )],
        });
        assert!(
            matches!(&survey, Outgoing::Message { body: Body::QuestionnaireAnswer(a), shown_with: None }
                if a.survey_id.as_str() == "v-dejong6-end" && a.answers[0].choice.as_str() == "no"),
            "{survey:?}"
        );
        assert_eq!(message_for(&Effect::Chime), Outgoing::Local);
    }
}
